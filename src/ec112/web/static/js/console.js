/* ec112 call-taker console (/console): pops the current call's ticket up, draws its map, keeps her cards.
   No framework, nothing from the internet; htmx and its SSE extension refresh the server-rendered state
   fragments, this file listens to the same stream (through the extension's public htmx:sseOpen event).
   Its helpers: live_cards.js (fragment reads, the busy check), console_form.js (the classification form,
   drafts, keyboard shortcuts), console_dispatch.js (a card's dispatch section), console_location.js (a card's
   location section: sources, hints, her pin and place search; a `location` event reads it again) and
   console_map.js (its offline map).

   The rule it keeps: a live update never replaces what the taker typed. A ticket card is only ever inserted
   (when her current call's ticket changes) or replaced while it has no unsaved edits; a card with unsaved
   edits stays (hidden behind the new call, listed in the tabs) and its text is also kept in sessionStorage
   so a reload does not lose it. */
(function () {
  "use strict";
  var root = document.getElementById("console");
  var live = window.ec112Live;
  if (!root || !window.htmx || !live || !window.ec112ConsoleForm) return;

  var endpoint = root.dataset.endpoint;
  var M = live.config("console-messages");
  var area = document.getElementById("tickets");
  var empty = document.getElementById("ticket-empty");
  var tabs = document.getElementById("ticket-tabs");
  var announce = document.getElementById("ticket-announce");
  var problem = document.getElementById("ticket-problem");
  var dispatch = window.ec112Dispatch || {busy: function () { return false; }, refresh: function () {},
                                          carry: function () {}};
  var locations = window.ec112Location ? window.ec112Location({messages: M, lang: root.dataset.lang})
    : {attach: function () { return null; }, onEvent: function () {}, posts: function () {},
       refreshAll: function () {}};
  var form = window.ec112ConsoleForm({
    messages: M, dispatch: dispatch, changed: renderTabs,
    timeFormat: new Intl.DateTimeFormat(root.dataset.lang || "id", {timeStyle: "medium", timeZone: root.dataset.tz})
  });

  var current = root.dataset.ticket || null; // the ticket of her current call, as the server last said
  var shown = null; // the number of the card on screen
  var cards = new Map(); // number -> card {el, number, revision, seen, dirty, edits, saving, loc}
  var loading = new Map(); // number -> Promise

  // --- the live stream ------------------------------------------------------------------------------------
  // Used by the hx-trigger filters of the state fragments: is this `agent` event about me?
  window.ec112Console = {
    mine: function (event) {
      try { return JSON.parse(event.detail.data).endpoint === endpoint; } catch (_e) { return false; }
    }
  };
  live.listen(root, {
    snapshot: onState, // first event of every (re)connection
    reload: onState,
    agent: function (event) {
      var agent = live.parse(event);
      if (agent && agent.endpoint === endpoint) onAgent(agent);
    },
    ticket: function (event) {
      var ticket = live.parse(event);
      if (ticket) onTicketChanged(ticket);
    },
    dispatch: function (event) {
      var d = live.parse(event);
      if (d && dispatch.onDispatch) dispatch.onDispatch(d);
    },
    location: function (event) { // only the card's location section and map read again
      var d = live.parse(event);
      if (d) locations.onEvent(d);
    }
  });

  function onState(event) {
    var state = live.parse(event);
    if (!state || !state.agents) return;
    if (event.type === "snapshot") locations.refreshAll(); // a location sent while the stream was down
    onAgent(state.agents.filter(function (a) { return a.endpoint === endpoint; })[0] || null);
  }

  function onAgent(agent) {
    var ticket = agent && agent.ticket;
    if (!ticket) {
      current = null; // the call ended: its card stays until the next call
      return;
    }
    if (ticket !== current) {
      current = ticket;
      announce.textContent = live.fmt(M.newCall, {number: ticket});
      open(ticket, true);
    } else if (!cards.has(ticket) && !loading.has(ticket) && !shown) {
      open(ticket, true); // a re-sync found a call whose card never arrived
    }
  }

  function onTicketChanged(t) {
    var card = cards.get(t.number);
    if (!card) return;
    card.seen = Math.max(card.seen, t.revision);
    if (card.saving || t.revision <= card.revision) return;
    if (card.dirty) {
      form.say(card, M.changedElsewhere, true);
      dispatch.refresh(card.el); // its agencies still follow
    } else {
      load(t.number, card); // nothing typed: show the new version
    }
  }

  // --- ticket cards ---------------------------------------------------------------------------------------
  // Her current call's card (isCall), or one she asked for; retried a few times while it cannot be read.
  function open(number, isCall) {
    if (cards.has(number)) {
      show(number, true);
      return;
    }
    live.retry(function () { return cards.has(number) ? null : load(number, null); }, {
      tries: 6,
      pause: 500,
      failed: function () {
        if (isCall && number !== current) return false;
        problem.textContent = live.fmt(M.loadFailed, {number: number});
        problem.hidden = false;
        return true;
      }
    }).then(function () {
      problem.hidden = true;
      if (!isCall || number === current) show(number, true);
    }, function () { /* given up: said in #ticket-problem */ });
  }

  function load(number, replacing) {
    if (loading.has(number)) return loading.get(number);
    var promise = live.fragment("/console/ticket/" + encodeURIComponent(number), "article.cs-ticket-card")
      .then(function (el) {
        if (!el) throw new Error("no ticket card");
        var old = cards.get(number);
        if (replacing && old !== replacing) return; // replaced meanwhile
        if (old && (old.dirty || old.saving || (old.loc && old.loc.busy()))) return; // she typed meanwhile: keep hers
        el.hidden = true;
        if (old) {
          if (old.loc) old.loc.remove();
          dispatch.carry(old.el, el); // agencies she ticked, a false-call reason she is writing
          area.replaceChild(el, old.el);
        } else {
          area.appendChild(el);
        }
        adopt(el);
        if (old && shown === number) show(number, false);
      });
    loading.set(number, promise);
    var done = function () { loading.delete(number); };
    promise.then(done, done);
    return promise;
  }

  function adopt(el) {
    var card = {el: el, number: el.dataset.number, revision: Number(el.dataset.revision), dirty: false,
                edits: 0, saving: false, loc: null};
    card.seen = card.revision;
    cards.set(card.number, card);
    form.bind(card);
    card.loc = locations.attach(el);
    return card;
  }

  function show(number, focus) {
    var card = cards.get(number);
    if (!card) return;
    cards.forEach(function (other, n) {
      if (n === number) return;
      if (other.dirty || other.saving || dispatch.busy(other.el) || (other.loc && other.loc.busy())) {
        other.el.hidden = true;
      } else {
        if (other.loc) other.loc.remove();
        other.el.remove();
        cards.delete(n);
      }
    });
    card.el.hidden = false;
    empty.hidden = true;
    shown = number;
    if (card.loc) card.loc.show(); // its map, drawn once the card is visible (Leaflet needs its size)
    renderTabs();
    if (focus) card.el.querySelector("h2").focus();
  }

  function renderTabs() {
    tabs.textContent = "";
    tabs.hidden = cards.size < 2;
    cards.forEach(function (card, number) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "cs-ticket-tab";
      button.dataset.showTicket = number;
      button.textContent = number + (card.dirty ? " · " + M.unsaved : "");
      if (number === shown) button.setAttribute("aria-current", "true");
      tabs.appendChild(button);
    });
  }

  root.addEventListener("click", function (event) {
    var target = event.target.closest("[data-open-ticket], [data-show-ticket]");
    if (!target) return;
    open(target.dataset.openTicket || target.dataset.showTicket, false);
  });

  document.addEventListener("keydown", function (event) {
    var card = shown ? cards.get(shown) : null;
    if (!card || event.defaultPrevented || event.isComposing) return;
    form.key(card, event);
  });

  // The dispatch section read the ticket's revision: a dispatch moves it without a `ticket` event. Take it when no
  // change by someone else is pending (card.seen), so that her next save is not refused for her own dispatch.
  dispatch.onMerged = locations.posts; // the proposed agencies' nearest posts, written in again
  dispatch.onRevision = function (el, revision) {
    var card = cards.get(el.dataset.number);
    if (!card || card.el !== el || card.saving || card.seen > card.revision || !(revision > card.revision)) return;
    card.revision = revision;
    card.seen = revision;
    el.dataset.revision = String(revision);
    if (card.dirty) form.keepDraft(card);
  };

  // --- the state fragment: the wrap-up countdown ------------------------------------------------------------
  var countdown = null;
  function stateSettled() {
    var section = document.getElementById("my-state");
    if (!section) return;
    clearInterval(countdown);
    var el = section.querySelector(".cs-countdown[data-remaining]");
    if (!el) return;
    var end = performance.now() + Number(el.dataset.remaining) * 1000;
    countdown = setInterval(function () {
      if (!el.isConnected) { clearInterval(countdown); return; }
      el.textContent = String(Math.max(0, Math.ceil((end - performance.now()) / 1000)));
    }, 250);
  }
  document.addEventListener("htmx:afterSettle", stateSettled);

  // --- start ----------------------------------------------------------------------------------------------
  var first = area.querySelector("article.cs-ticket-card");
  if (first) {
    adopt(first);
    first.hidden = false;
    show(first.dataset.number, false);
  }
  stateSettled();
})();

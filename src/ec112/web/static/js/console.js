/* ec112 call-taker console (/console): pops the current call's ticket up, draws its map, keyboard shortcuts,
   saves the classification. No framework, nothing from the internet; htmx and its SSE extension refresh the
   server-rendered state fragments, this file rides on the same EventSource.

   The rule it keeps: a live update never replaces what the taker typed. A ticket card is only ever inserted
   (when her current call's ticket changes) or replaced while it has no unsaved edits; a card with unsaved
   edits stays (hidden behind the new call, listed in the tabs) and its text is also kept in sessionStorage
   so a reload does not lose it. */
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root || !window.htmx) return;

  var endpoint = root.dataset.endpoint;
  var M = JSON.parse(document.getElementById("console-messages").textContent);
  var area = document.getElementById("tickets");
  var empty = document.getElementById("ticket-empty");
  var tabs = document.getElementById("ticket-tabs");
  var announce = document.getElementById("ticket-announce");
  var problem = document.getElementById("ticket-problem");
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var CODES = ["darurat", "informasi", "prank", "ghost"];
  var DRAFT = "ec112.console.draft.";
  var FORM = 'form[data-role="form"]'; // the classification form (the dispatch section has forms of its own)
  var dispatch = window.ec112Dispatch || {busy: function () { return false; }, refresh: function () {},
                                          carry: function () {}};
  var timeFormat = new Intl.DateTimeFormat(root.dataset.lang || "id", {timeStyle: "medium", timeZone: root.dataset.tz});

  var current = root.dataset.ticket || null; // the ticket of her current call, as the server last said
  var shown = null; // the number of the card on screen
  var cards = new Map(); // number -> card {el, number, revision, seen, dirty, edits, saving, map}
  var loading = new Map(); // number -> Promise

  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }
  function parse(event) {
    try { return JSON.parse(event.data); } catch (_e) { return null; }
  }
  function what(ticket) {
    var label = M.classifications[ticket.classification] || ticket.classification || "";
    return ticket.category ? label + " · " + (M.categories[ticket.category] || ticket.category) : label;
  }

  // --- the live stream ------------------------------------------------------------------------------------
  // Used by the hx-trigger filters of the state fragments: is this `agent` event about me?
  window.ec112Console = {
    mine: function (event) {
      try { return JSON.parse(event.detail.data).endpoint === endpoint; } catch (_e) { return false; }
    }
  };
  // The sse extension creates (and after an error re-creates) its EventSource through this hook.
  var createEventSource = htmx.createEventSource;
  htmx.createEventSource = function (url) {
    var source = createEventSource(url);
    source.addEventListener("snapshot", onState); // first event of every (re)connection
    source.addEventListener("reload", onState);
    source.addEventListener("agent", function (event) {
      var agent = parse(event);
      if (agent && agent.endpoint === endpoint) onAgent(agent);
    });
    source.addEventListener("ticket", function (event) {
      var ticket = parse(event);
      if (ticket) onTicketChanged(ticket);
    });
    source.addEventListener("dispatch", function (event) {
      var d = parse(event);
      if (d && dispatch.onDispatch) dispatch.onDispatch(d);
    });
    return source;
  };

  function onState(event) {
    var state = parse(event);
    if (!state || !state.agents) return;
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
      announce.textContent = fmt(M.newCall, {number: ticket});
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
      say(card, M.changedElsewhere, true);
      dispatch.refresh(card.el); // its agencies still follow
    } else {
      load(t.number, card); // nothing typed: show the new version
    }
  }

  // --- ticket cards ---------------------------------------------------------------------------------------
  function open(number, isCall, attempt) {
    if (cards.has(number)) {
      show(number, true);
      return;
    }
    load(number, null).then(function () {
      problem.hidden = true;
      if (!isCall || number === current) show(number, true);
    }, function () {
      attempt = (attempt || 0) + 1;
      if (isCall && number !== current) return;
      problem.textContent = fmt(M.loadFailed, {number: number});
      problem.hidden = false;
      if (attempt < 6) setTimeout(function () { open(number, isCall, attempt); }, 500 * attempt);
    });
  }

  function load(number, replacing) {
    if (loading.has(number)) return loading.get(number);
    var promise = fetch("/console/ticket/" + encodeURIComponent(number), {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var box = document.createElement("div");
        box.innerHTML = html;
        var el = box.querySelector("article.cs-ticket-card");
        if (!el) throw new Error("no ticket card");
        var old = cards.get(number);
        if (replacing && old !== replacing) return; // replaced meanwhile
        if (old && (old.dirty || old.saving)) return; // she typed meanwhile: keep hers
        el.hidden = true;
        if (old) {
          if (old.map) old.map.remove();
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
                edits: 0, saving: false, map: null};
    card.seen = card.revision;
    cards.set(card.number, card);
    var form = el.querySelector(FORM);
    form.addEventListener("submit", function (event) { event.preventDefault(); save(card); });
    var edited = function () {
      card.edits += 1;
      var was = card.dirty;
      card.dirty = true;
      keepDraft(card);
      if (!was) renderTabs();
    };
    form.addEventListener("input", edited);
    form.addEventListener("change", edited);
    restoreDraft(card);
    return card;
  }

  function show(number, focus) {
    var card = cards.get(number);
    if (!card) return;
    cards.forEach(function (other, n) {
      if (n === number) return;
      if (other.dirty || other.saving || dispatch.busy(other.el)) {
        other.el.hidden = true;
      } else {
        if (other.map) other.map.remove();
        other.el.remove();
        cards.delete(n);
      }
    });
    card.el.hidden = false;
    empty.hidden = true;
    shown = number;
    drawMap(card);
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

  // --- drafts (sessionStorage: this tab only, gone when it is closed) -------------------------------------
  function values(form) {
    var checked = form.querySelector('input[name="classification"]:checked');
    return {classification: checked ? checked.value : "", category: form.elements.category.value,
            address: form.elements.address.value, description: form.elements.description.value};
  }
  function keepDraft(card) {
    try {
      var draft = values(card.el.querySelector(FORM));
      draft.revision = card.revision;
      sessionStorage.setItem(DRAFT + card.number, JSON.stringify(draft));
    } catch (_e) { /* storage full or disabled: the card itself still holds the text */ }
  }
  function dropDraft(card) {
    try { sessionStorage.removeItem(DRAFT + card.number); } catch (_e) { /* ignore */ }
  }
  function restoreDraft(card) {
    var draft = null;
    try { draft = JSON.parse(sessionStorage.getItem(DRAFT + card.number) || "null"); } catch (_e) { draft = null; }
    if (!draft) return;
    var form = card.el.querySelector(FORM);
    CODES.forEach(function (code) {
      form.querySelector('input[name="classification"][value="' + code + '"]').checked = draft.classification === code;
    });
    form.elements.category.value = draft.category || "";
    form.elements.address.value = draft.address || "";
    form.elements.description.value = draft.description || "";
    card.dirty = true;
    card.revision = draft.revision; // changed by someone since? then saving says so (409) instead of overwriting
    say(card, M.restored, false);
  }

  // --- saving ---------------------------------------------------------------------------------------------
  function say(card, text, isError) {
    var box = card.el.querySelector('[data-role="message"]');
    box.textContent = text;
    box.classList.toggle("cs-is-error", !!isError);
  }

  function save(card) {
    if (card.saving) return;
    var form = card.el.querySelector(FORM);
    var v = values(form);
    if (!v.classification) {
      say(card, M.chooseClassification, true);
      form.querySelector('input[name="classification"]').focus();
      return;
    }
    if (v.classification === "darurat" && !v.category) {
      say(card, M.needCategory, true);
      form.elements.category.focus();
      return;
    }
    var button = form.querySelector('button[type="submit"]');
    var edits = card.edits;
    card.saving = true;
    button.disabled = true;
    say(card, M.saving, false);
    fetch("/api/tickets/" + encodeURIComponent(card.number) + "/classification", {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({classification: v.classification, category: v.category || null, address: v.address,
                            description: v.description, revision: card.revision})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        return {status: response.status, body: body};
      });
    }).then(function (result) {
      var body = result.body || {};
      if (result.status === 200) {
        saved(card, body, edits);
      } else if (result.status === 409) {
        return conflict(card);
      } else if (result.status === 422) {
        say(card, fmt(M.invalid, {reason: body.message || ""}), true);
      } else if (result.status === 401 || body.code === "csrf_failed") {
        say(card, M.expired, true);
      } else {
        say(card, fmt(M.invalid, {reason: body.message || "HTTP " + result.status}), true);
      }
    }, function () {
      say(card, M.offline, true);
    }).then(function () {
      card.saving = false;
      button.disabled = false;
      if (card.seen > card.revision) say(card, M.changedElsewhere, true);
    });
  }

  function saved(card, t, edits) {
    card.revision = t.revision;
    card.seen = Math.max(card.seen, t.revision);
    if (card.edits === edits) { // nothing typed while it was being saved
      card.dirty = false;
      dropDraft(card);
    } else {
      keepDraft(card);
    }
    card.el.dataset.revision = String(t.revision);
    card.el.querySelector('[data-role="saved"]').textContent = fmt(M.savedLine, {
      what: what(t), who: t.classified_by, time: t.classified_at ? timeFormat.format(new Date(t.classified_at)) : ""
    });
    say(card, M.saved, false);
    renderTabs();
    dispatch.refresh(card.el); // an emergency can now be dispatched (or its proposals follow the new category)
  }

  // The dispatch section read the ticket's revision: a dispatch moves it without a `ticket` event. Take it when no
  // change by someone else is pending (card.seen), so that her next save is not refused for her own dispatch.
  dispatch.onRevision = function (el, revision) {
    var card = cards.get(el.dataset.number);
    if (!card || card.el !== el || card.saving || card.seen > card.revision || !(revision > card.revision)) return;
    card.revision = revision;
    card.seen = revision;
    el.dataset.revision = String(revision);
    if (card.dirty) keepDraft(card);
  };

  function conflict(card) {
    return fetch("/api/tickets/" + encodeURIComponent(card.number), {credentials: "same-origin"})
      .then(function (response) { return response.json(); })
      .then(function (t) {
        card.revision = t.revision; // she has now seen it: saving again replaces theirs
        card.seen = Math.max(card.seen, t.revision);
        keepDraft(card);
        say(card, fmt(M.conflict, {what: what(t) || "—", who: t.classified_by || "—"}), true);
      }, function () {
        say(card, M.offline, true);
      });
  }

  // --- map ------------------------------------------------------------------------------------------------
  function drawMap(card) {
    var box = card.el.querySelector(".cs-ticket-map");
    if (!box || !window.L) return;
    if (card.map) {
      card.map.invalidateSize();
      return;
    }
    var center = L.latLng(Number(box.dataset.lat), Number(box.dataset.lon));
    var radius = box.dataset.radius === "" ? 0 : Number(box.dataset.radius);
    var tiles = box.dataset.tileUrl;
    var map = L.map(box, {attributionControl: !!tiles, scrollWheelZoom: false, keyboard: true});
    map.setView(center, 16);
    if (tiles) L.tileLayer(tiles, {attribution: box.dataset.attribution, maxZoom: 19}).addTo(map);
    L.control.scale({imperial: false}).addTo(map);
    L.marker(center, {keyboard: false}).addTo(map);
    if (radius > 0) {
      var circle = L.circle(center, {radius: radius, color: "#b3121b", weight: 2, fillOpacity: 0.12}).addTo(map);
      map.fitBounds(circle.getBounds(), {padding: [24, 24], maxZoom: 17});
    }
    card.map = map;
  }

  // --- keyboard shortcuts ---------------------------------------------------------------------------------
  function digitOf(event) {
    var match = /^(?:Digit|Numpad)([1-4])$/.exec(event.code || "");
    if (match) return Number(match[1]);
    return /^[1-4]$/.test(event.key) ? Number(event.key) : 0;
  }
  function typing(el) {
    if (!el || !el.tagName) return false;
    if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
    return el.tagName === "INPUT" && !/^(radio|checkbox|button|submit|reset)$/.test(el.type);
  }
  function choose(card, code) {
    var form = card.el.querySelector(FORM);
    var radio = form.querySelector('input[name="classification"][value="' + code + '"]');
    if (!radio.checked) {
      radio.checked = true;
      radio.dispatchEvent(new Event("change", {bubbles: true}));
    }
    if (code === "darurat" && !form.elements.category.value) form.elements.category.focus();
  }
  document.addEventListener("keydown", function (event) {
    var card = shown ? cards.get(shown) : null;
    if (!card || event.defaultPrevented || event.isComposing) return;
    var digit = digitOf(event);
    if (digit && !event.ctrlKey && !event.metaKey && !event.shiftKey && (event.altKey || !typing(event.target))) {
      event.preventDefault();
      choose(card, CODES[digit - 1]);
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey) {
      event.preventDefault();
      save(card);
    }
  });

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

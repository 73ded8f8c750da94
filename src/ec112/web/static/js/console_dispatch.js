/* ec112 console: the dispatch section of a ticket card (templates/console_dispatch.html).

   Sends the ticket to the agencies she ticks, shows each dispatch's live sub-status, closes the ticket (or
   closes it as a false call). console.js calls window.ec112Dispatch: refresh(card) when the ticket or one of
   its dispatches changed, busy(card) before it drops or replaces a card, carry(old, new) when it replaces one.
   The rule of the console holds here too: the section is read again on every change, but a form part
   (data-part="send" / "close") she is working in — ticked agencies, a false-call reason — stays as it is
   (live_cards.js: the busy check, the fragment read, the card action). */
(function () {
  "use strict";
  var root = document.getElementById("console");
  var live = window.ec112Live;
  if (!root || !live) return;
  var M = live.config("console-messages");
  var texts = {expired: M.sessionEnded, failed: M.notDone, offline: M.offline};

  function section(card) { return card.querySelector('[data-role="dispatch"]'); }
  function busy(card) {
    var s = section(card);
    return !!s && Array.prototype.some.call(s.querySelectorAll("[data-part]"), live.busy);
  }
  function say(part, role, text, isError) { live.say(part, role, text, isError, "cs-is-error"); }
  function keepOpen(from, to) { // a <details> she opened stays open, what the last action said stays said
    from.querySelectorAll("details").forEach(function (d) {
      var same = to.querySelector("details." + d.className.split(" ")[0]);
      if (same) same.open = d.open;
    });
    live.keepSaid(from, to, ".cs-form-message[data-role]");
  }

  // The fresh section in place of the card's one, her form parts kept (not moved: her focus stays).
  function merge(card, fresh) {
    var old = section(card);
    var slot = card.querySelector('[data-role="dispatch-slot"]');
    if (!old) {
      if (slot) slot.replaceChildren(fresh);
      return;
    }
    Array.prototype.slice.call(old.attributes).forEach(function (a) {
      if (!fresh.hasAttribute(a.name)) old.removeAttribute(a.name);
    });
    Array.prototype.slice.call(fresh.attributes).forEach(function (a) { old.setAttribute(a.name, a.value); });
    live.merge(old, Array.prototype.slice.call(fresh.children), function (el) { return el.dataset.part || null; },
      function (mine, child) {
        var name = mine.dataset.part;
        if (name !== "status" && live.busy(mine)) {
          if (name === "send" && mine.dataset.category !== child.dataset.category) {
            say(mine, "dispatch-message", M.dispatchCategoryChanged, true);
          }
          return true;
        }
        keepOpen(mine, child);
        return false;
      });
    var close = old.querySelector('[data-close="normal"]');
    if (close) close.hidden = old.dataset.canClose !== "yes";
  }

  var refresh = live.serial(function (card) {
    return live.fragment("/console/ticket/" + encodeURIComponent(card.dataset.number) + "/dispatch",
                         '[data-role="dispatch"]')
      .then(function (fresh) {
        if (!fresh || !card.isConnected) return;
        merge(card, fresh);
        if (api.onMerged) api.onMerged(card);
        if (api.onRevision) api.onRevision(card, Number(fresh.dataset.revision));
      });
  });

  // A card being replaced by a fresh copy: the parts she works in go into the new one.
  function carry(oldCard, newCard) {
    var old = section(oldCard);
    var fresh = section(newCard);
    if (!old || !fresh) return;
    old.querySelectorAll(":scope > [data-part]").forEach(function (part) {
      var theirs = fresh.querySelector(':scope > [data-part="' + part.dataset.part + '"]');
      if (!theirs) return;
      if (live.busy(part)) {
        var focused = part.contains(document.activeElement) ? document.activeElement : null;
        theirs.replaceWith(part);
        if (focused) focused.focus();
      } else {
        keepOpen(part, theirs);
      }
    });
  }

  function act(card, part, role, work) {
    live.act(part, {
      sending: M.sending,
      say: function (text, isError) { say(part, role, text, isError); },
      after: function () { refresh(card); }
    }, work);
  }

  root.addEventListener("submit", function (event) {
    var part = event.target.closest('[data-part="send"]');
    if (!part) return;
    event.preventDefault();
    var card = part.closest(".cs-ticket-card");
    var s = section(card);
    var agencies = Array.prototype.map.call(part.querySelectorAll('input[name="agency"]:checked:not(:disabled)'),
                                            function (box) { return box.value; });
    if (!agencies.length) {
      say(part, "dispatch-message", M.chooseAgency, true);
      return;
    }
    act(card, part, "dispatch-message", function () {
      return live.post("/api/tickets/" + encodeURIComponent(card.dataset.number) + "/dispatches",
                       {agencies: agencies, revision: Number(s.dataset.revision)}, texts)
        .then(function () { return M.dispatched; });
    });
  });

  root.addEventListener("click", function (event) {
    var button = event.target.closest("[data-close]");
    if (!button) return;
    var part = button.closest('[data-part="close"]');
    var card = part.closest(".cs-ticket-card");
    var falseCall = button.dataset.close === "false_call";
    var reason = part.querySelector('textarea[name="reason"]').value.trim();
    if (falseCall && !reason) {
      say(part, "close-message", M.needReason, true);
      part.querySelector('textarea[name="reason"]').focus();
      return;
    }
    act(card, part, "close-message", function () {
      return live.post("/api/tickets/" + encodeURIComponent(card.dataset.number) + "/close",
                       falseCall ? {false_call: true, note: reason} : {false_call: false}, texts)
        .then(function () { return M.closedDone; });
    });
  });

  live.markTouched(root, ".cs-dispatch [data-part]");

  var api = {
    busy: busy,
    refresh: refresh,
    carry: carry,
    onRevision: null, // set by console.js: the ticket's revision as the section last read it
    onMerged: null, // set by console.js: the section was read again (its nearest posts are filled in)
    onDispatch: function (d) { // an SSE `dispatch` event
      document.querySelectorAll('.cs-ticket-card[data-ticket-id="' + Number(d.ticket_id) + '"]').forEach(refresh);
    }
  };
  window.ec112Dispatch = api;
})();

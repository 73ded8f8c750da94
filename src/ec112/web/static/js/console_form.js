/* ec112 console: the classification form of a ticket card (templates/console_ticket.html) — keyboard
   shortcuts, drafts, saving.

   The classification codes, their shortcut keys and which of them needs a category come from the server: the
   radio buttons carry them (value, data-shortcut, data-needs-category). Her unsaved text is also kept in
   sessionStorage (this tab only, gone when it is closed), so that a reload does not lose it.
   console.js makes one with window.ec112ConsoleForm({messages, dispatch, changed, timeFormat}) and hands it
   its cards: {el, number, revision, seen, dirty, edits, saving}. */
(function () {
  "use strict";
  var live = window.ec112Live;
  var DRAFT = "ec112.console.draft.";
  var FORM = 'form[data-role="form"]'; // the classification form (the dispatch section has forms of its own)
  var RADIO = 'input[name="classification"]';

  window.ec112ConsoleForm = function (ctx) {
    var M = ctx.messages;
    var dispatch = ctx.dispatch;

    function formOf(card) { return card.el.querySelector(FORM); }
    function what(ticket) {
      var label = M.classifications[ticket.classification] || ticket.classification || "";
      return ticket.category ? label + " · " + (M.categories[ticket.category] || ticket.category) : label;
    }
    function say(card, text, isError) { live.say(card.el, "message", text, isError, "cs-is-error"); }

    // --- drafts -------------------------------------------------------------------------------------------
    function values(form) {
      var checked = form.querySelector(RADIO + ":checked");
      return {classification: checked ? checked.value : "", category: form.elements.category.value,
              address: form.elements.address.value, description: form.elements.description.value};
    }
    function keepDraft(card) {
      try {
        var draft = values(formOf(card));
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
      var form = formOf(card);
      form.querySelectorAll(RADIO).forEach(function (radio) {
        radio.checked = draft.classification === radio.value;
      });
      form.elements.category.value = draft.category || "";
      form.elements.address.value = draft.address || "";
      form.elements.description.value = draft.description || "";
      card.dirty = true;
      card.revision = draft.revision; // changed by someone since? then saving says so (409) instead of overwriting
      say(card, M.restored, false);
    }

    // Her form on a new card: saved on submit, a draft of each edit, the draft of a reload restored.
    function bind(card) {
      var form = formOf(card);
      form.addEventListener("submit", function (event) { event.preventDefault(); save(card); });
      var edited = function () {
        card.edits += 1;
        var was = card.dirty;
        card.dirty = true;
        keepDraft(card);
        if (!was) ctx.changed();
      };
      form.addEventListener("input", edited);
      form.addEventListener("change", edited);
      restoreDraft(card);
    }

    // --- saving -------------------------------------------------------------------------------------------
    function save(card) {
      if (card.saving) return;
      var form = formOf(card);
      var v = values(form);
      if (!v.classification) {
        say(card, M.chooseClassification, true);
        form.querySelector(RADIO).focus();
        return;
      }
      if (form.querySelector(RADIO + ':checked[data-needs-category="yes"]') && !v.category) {
        say(card, M.needCategory, true);
        form.elements.category.focus();
        return;
      }
      var button = form.querySelector('button[type="submit"]');
      var edits = card.edits;
      card.saving = true;
      button.disabled = true;
      say(card, M.saving, false);
      live.send("/api/tickets/" + encodeURIComponent(card.number) + "/classification", {
        classification: v.classification, category: v.category || null, address: v.address,
        description: v.description, revision: card.revision
      }).then(function (result) {
        var body = result.body;
        if (result.status === 200) {
          saved(card, body, edits);
        } else if (result.status === 409) {
          return conflict(card);
        } else if (result.status === 422) {
          say(card, live.fmt(M.invalid, {reason: body.message || ""}), true);
        } else if (result.status === 401 || body.code === "csrf_failed") {
          say(card, M.expired, true);
        } else {
          say(card, live.fmt(M.invalid, {reason: body.message || "HTTP " + result.status}), true);
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
      card.el.querySelector('[data-role="saved"]').textContent = live.fmt(M.savedLine, {
        what: what(t), who: t.classified_by,
        time: t.classified_at ? ctx.timeFormat.format(new Date(t.classified_at)) : ""
      });
      say(card, M.saved, false);
      ctx.changed();
      dispatch.refresh(card.el); // an emergency can now be dispatched (or its proposals follow the new category)
    }

    function conflict(card) {
      return fetch("/api/tickets/" + encodeURIComponent(card.number), {credentials: "same-origin"})
        .then(function (response) { return response.json(); })
        .then(function (t) {
          card.revision = t.revision; // she has now seen it: saving again replaces theirs
          card.seen = Math.max(card.seen, t.revision);
          keepDraft(card);
          say(card, live.fmt(M.conflict, {what: what(t) || "—", who: t.classified_by || "—"}), true);
        }, function () {
          say(card, M.offline, true);
        });
    }

    // --- keyboard shortcuts: a digit chooses the classification whose data-shortcut it is -------------------
    function digitOf(event) {
      var match = /^(?:Digit|Numpad)([0-9])$/.exec(event.code || "");
      if (match) return match[1];
      return /^[0-9]$/.test(event.key) ? event.key : "";
    }
    function typing(el) {
      if (!el || !el.tagName) return false;
      if (el.isContentEditable || el.tagName === "TEXTAREA" || el.tagName === "SELECT") return true;
      return el.tagName === "INPUT" && !/^(radio|checkbox|button|submit|reset)$/.test(el.type);
    }
    function choose(card, radio) {
      var form = formOf(card);
      if (!radio.checked) {
        radio.checked = true;
        radio.dispatchEvent(new Event("change", {bubbles: true}));
      }
      if (radio.dataset.needsCategory === "yes" && !form.elements.category.value) form.elements.category.focus();
    }
    // A keydown on the page while `card` is shown.
    function key(card, event) {
      var digit = digitOf(event);
      var radio = digit ? formOf(card).querySelector(RADIO + '[data-shortcut="' + digit + '"]') : null;
      if (radio && !event.ctrlKey && !event.metaKey && !event.shiftKey && (event.altKey || !typing(event.target))) {
        event.preventDefault();
        choose(card, radio);
      } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && !event.altKey) {
        event.preventDefault();
        save(card);
      }
    }

    return {bind: bind, say: say, keepDraft: keepDraft, key: key};
  };
})();

/* ec112 console: the dispatch section of a ticket card (templates/console_dispatch.html).

   Sends the ticket to the agencies she ticks, shows each dispatch's live sub-status, closes the ticket (or
   closes it as a false call). console.js calls window.ec112Dispatch: refresh(card) when the ticket or one of
   its dispatches changed, busy(card) before it drops or replaces a card, carry(old, new) when it replaces one.
   The rule of the console holds here too: the section is read again on every change, but a form part
   (data-part="send" / "close") she is working in — ticked agencies, a false-call reason — stays as it is. */
(function () {
  "use strict";
  var root = document.getElementById("console");
  if (!root) return;
  var M = JSON.parse(document.getElementById("console-messages").textContent);
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var loading = new WeakMap(); // card element -> true while its section is being read

  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }
  function section(card) { return card.querySelector('[data-role="dispatch"]'); }
  function working(part) {
    var active = document.activeElement;
    return part.dataset.dirty === "yes" || part.dataset.busy === "yes" ||
      (!!active && part.contains(active) && active.tagName !== "SUMMARY" && !!active.form);
  }
  function busy(card) {
    var s = section(card);
    return !!s && Array.prototype.some.call(s.querySelectorAll("[data-part]"), working);
  }
  function say(part, role, text, isError) {
    var box = part && part.querySelector('[data-role="' + role + '"]');
    if (!box) return;
    box.textContent = text;
    box.classList.toggle("cs-is-error", !!isError);
  }
  function keepOpen(from, to) { // a <details> she opened stays open, what the last action said stays said
    from.querySelectorAll("details").forEach(function (d) {
      var same = to.querySelector("details." + d.className.split(" ")[0]);
      if (same) same.open = d.open;
    });
    from.querySelectorAll(".cs-form-message[data-role]").forEach(function (box) {
      var same = to.querySelector('[data-role="' + box.dataset.role + '"]');
      if (same) {
        same.textContent = box.textContent;
        same.className = box.className;
      }
    });
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
    var wanted = [];
    Array.prototype.slice.call(fresh.children).forEach(function (child) {
      var name = child.dataset.part;
      var mine = name ? old.querySelector(':scope > [data-part="' + name + '"]') : null;
      if (mine && name !== "status" && working(mine)) {
        if (name === "send" && mine.dataset.category !== child.dataset.category) {
          say(mine, "dispatch-message", M.dispatchCategoryChanged, true);
        }
        wanted.push(mine);
      } else {
        if (mine) keepOpen(mine, child);
        wanted.push(child);
      }
    });
    wanted.forEach(function (el, i) {
      var place = i === 0 ? old.firstElementChild : wanted[i - 1].nextElementSibling;
      if (el !== place) old.insertBefore(el, place);
    });
    Array.prototype.slice.call(old.children).forEach(function (el) {
      if (wanted.indexOf(el) < 0) el.remove();
    });
    var close = old.querySelector('[data-close="normal"]');
    if (close) close.hidden = old.dataset.canClose !== "yes";
  }

  function refresh(card) {
    if (loading.get(card)) {
      loading.set(card, "again");
      return;
    }
    loading.set(card, true);
    fetch("/console/ticket/" + encodeURIComponent(card.dataset.number) + "/dispatch", {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var box = document.createElement("div");
        box.innerHTML = html;
        var fresh = box.querySelector('[data-role="dispatch"]');
        if (!fresh || !card.isConnected) return;
        merge(card, fresh);
        if (api.onRevision) api.onRevision(card, Number(fresh.dataset.revision));
      })
      .catch(function () { /* the next event reads it again */ })
      .then(function () {
        var again = loading.get(card) === "again";
        loading.delete(card);
        if (again) refresh(card);
      });
  }

  // A card being replaced by a fresh copy: the parts she works in go into the new one.
  function carry(oldCard, newCard) {
    var old = section(oldCard);
    var fresh = section(newCard);
    if (!old || !fresh) return;
    old.querySelectorAll(":scope > [data-part]").forEach(function (part) {
      var theirs = fresh.querySelector(':scope > [data-part="' + part.dataset.part + '"]');
      if (!theirs) return;
      if (working(part)) {
        var focused = part.contains(document.activeElement) ? document.activeElement : null;
        theirs.replaceWith(part);
        if (focused) focused.focus();
      } else {
        keepOpen(part, theirs);
      }
    });
  }

  function post(path, body) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) return answer;
        throw new Error(response.status === 401 || answer.code === "csrf_failed" ? M.sessionEnded
          : fmt(M.notDone, {reason: answer.message || "HTTP " + response.status}));
      });
    }, function () {
      throw new Error(M.offline);
    });
  }

  function act(card, part, role, work) {
    if (part.dataset.busy === "yes") return;
    part.dataset.busy = "yes";
    var buttons = part.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    say(part, role, M.sending, false);
    work().then(function (text) {
      delete part.dataset.dirty;
      say(part, role, text, false);
    }, function (error) {
      say(part, role, error.message, true);
    }).then(function () {
      delete part.dataset.busy;
      buttons.forEach(function (b) { b.disabled = false; });
      refresh(card);
    });
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
      return post("/api/tickets/" + encodeURIComponent(card.dataset.number) + "/dispatches",
                  {agencies: agencies, revision: Number(s.dataset.revision)})
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
      return post("/api/tickets/" + encodeURIComponent(card.dataset.number) + "/close",
                  falseCall ? {false_call: true, note: reason} : {false_call: false})
        .then(function () { return M.closedDone; });
    });
  });

  var touched = function (event) {
    var part = event.target.closest && event.target.closest(".cs-dispatch [data-part]");
    if (part && event.target.form) part.dataset.dirty = "yes";
  };
  root.addEventListener("input", touched);
  root.addEventListener("change", touched);

  var api = {
    busy: busy,
    refresh: refresh,
    carry: carry,
    onRevision: null, // set by console.js: the ticket's revision as the section last read it
    onDispatch: function (d) { // an SSE `dispatch` event
      document.querySelectorAll('.cs-ticket-card[data-ticket-id="' + Number(d.ticket_id) + '"]').forEach(refresh);
    }
  };
  window.ec112Dispatch = api;
})();

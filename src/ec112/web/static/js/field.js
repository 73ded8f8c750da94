/* ec112 agency and responder pages (/agency, /responder): live list, big buttons, position with each step.

   The list is server-rendered (/agency/list, /responder/list). The filtered stream /api/field/events says when
   something of hers changed; the list is then read again and merged card by card. The rule it keeps: a live
   update never loses what she typed or chose. A card she is working in (a form touched, a field focused, a
   request in flight) keeps its form; only its [data-live] parts (status, times, the ticket's facts, the step
   button) are replaced (live_cards.js: the fragment read, the busy check, the card action). Every action goes
   through the JSON API, which checks who may do what. */
(function () {
  "use strict";
  var root = document.getElementById("field");
  var list = document.getElementById("field-list");
  var live = window.ec112Live;
  if (!root || !list || !live) return;

  var M = live.config("field-messages");
  var texts = {expired: M.expired, failed: M.failed, offline: M.offline};
  var fmt = live.fmt;
  var maxPhoto = Number(root.dataset.photoMaxBytes || 0);
  var offsetMs = 0; // server clock minus this phone's clock
  var pending = null;

  function pad(n) { return n < 10 ? "0" + n : String(n); }
  function duration(seconds) { // as ec112.web.ticket_pages.fmt_duration: m:ss or h:mm:ss
    var total = Math.max(0, Math.floor(seconds));
    var h = Math.floor(total / 3600);
    var m = Math.floor((total % 3600) / 60);
    var s = total % 60;
    return h ? h + ":" + pad(m) + ":" + pad(s) : m + ":" + pad(s);
  }

  // --- timers ---------------------------------------------------------------------------------------------
  function syncClock(el) {
    var server = Date.parse(el ? el.getAttribute("data-server-now") : "");
    if (!isNaN(server)) offsetMs = server - Date.now();
  }
  function tick() {
    var now = Date.now() + offsetMs;
    list.querySelectorAll("[data-since]").forEach(function (el) {
      var since = Date.parse(el.getAttribute("data-since"));
      if (!isNaN(since)) el.textContent = duration((now - since) / 1000);
    });
    list.querySelectorAll("[data-deadline]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-deadline")) - now) / 1000;
      if (isNaN(left)) return;
      el.textContent = left >= 0 ? duration(left) : fmt(M.overdue, {duration: duration(-left)});
      el.classList.toggle("fd-overdue", left < 0);
    });
  }

  // --- the list -------------------------------------------------------------------------------------------
  var refresh = live.serial(function () {
    return live.fragment(root.dataset.list, ".fd-list").then(merge);
  });
  function soon() {
    clearTimeout(pending);
    pending = setTimeout(refresh, 60);
  }

  function patch(old, fresh) {
    old.className = fresh.className;
    old.dataset.status = fresh.dataset.status;
    fresh.querySelectorAll("[data-live]").forEach(function (part) {
      var mine = old.querySelector('[data-live="' + part.dataset.live + '"]');
      if (mine) mine.replaceWith(part);
    });
  }

  function merge(fresh) {
    var current = list.querySelector(".fd-list");
    if (!fresh) return;
    syncClock(fresh);
    if (!current) {
      list.replaceChildren(fresh);
      tick();
      return;
    }
    current.setAttribute("data-server-now", fresh.getAttribute("data-server-now"));
    var wanted = live.merge(current, fresh.querySelectorAll(":scope > article.fd-card"), function (el) {
      return el.matches("article.fd-card") ? el.dataset.dispatch : null;
    }, function (old, card) {
      if (live.busy(old)) {
        patch(old, card);
        return true;
      }
      live.keepSaid(old, card, '[data-role="message"]'); // what the last action said stays on the new card
      return false;
    });
    if (!wanted.length) {
      var empty = fresh.querySelector(":scope > .fd-empty");
      if (empty) current.appendChild(empty);
    }
    tick();
  }

  // --- acting -----------------------------------------------------------------------------------------------
  function say(card, text, isError) { live.say(card, "message", text, isError, "fd-is-error"); }
  function request(path, body, contentType) { return live.post(path, body, texts, contentType); }

  // Runs one action on a card: its controls are disabled meanwhile, the outcome is said on the card.
  function run(card, work) {
    live.act(card, {
      controls: "button, input, select, textarea", sending: M.sending, done: M.done,
      say: function (text, isError) { say(card, text, isError); },
      after: function () { refresh(); }
    }, work);
  }

  // Where the phone is now: a fresh fix, else the last one it knows (up to 5 minutes old), else none.
  function locate(options, within) {
    return new Promise(function (resolve) {
      var settled = false;
      var finish = function (value) {
        if (!settled) { settled = true; resolve(value); }
      };
      setTimeout(function () { finish(null); }, within);
      navigator.geolocation.getCurrentPosition(function (p) { finish(p.coords); }, function () { finish(null); },
                                               options);
    });
  }
  function position() {
    if (!navigator.geolocation) return Promise.resolve(null);
    return locate({enableHighAccuracy: true, timeout: 7000, maximumAge: 0}, 7500).then(function (coords) {
      return coords || locate({enableHighAccuracy: false, timeout: 1000, maximumAge: 300000}, 1500);
    });
  }

  function advance(card, to, note, photo) {
    var id = card.dataset.dispatch;
    say(card, M.locating, false);
    return position().then(function (coords) {
      var body = {to: to, note: note || null, photo: photo || null};
      if (coords) {
        body.lat = coords.latitude;
        body.lon = coords.longitude;
      }
      return request("/api/dispatches/" + id + "/advance", body).then(function () {
        return coords ? fmt(M.position, {lat: coords.latitude.toFixed(5), lon: coords.longitude.toFixed(5),
                                         acc: Math.round(coords.accuracy)}) : M.noPosition;
      });
    });
  }

  function resolve(card, form) {
    var note = form.elements.note.value.trim();
    var file = form.elements.photo.files[0] || null;
    if (!note) {
      say(card, M.needNote, true);
      form.elements.note.focus();
      return;
    }
    if (file && maxPhoto && file.size > maxPhoto) {
      say(card, fmt(M.photoTooLarge, {mb: Math.round(maxPhoto / 1048576)}), true);
      return;
    }
    if (file && file.type && !/^image\/(jpeg|png)$/.test(file.type)) {
      say(card, M.photoType, true);
      return;
    }
    run(card, function () {
      if (!file) return advance(card, form.dataset.to, note, null);
      say(card, M.uploading, false);
      return request("/api/dispatches/" + card.dataset.dispatch + "/photos", file, file.type || "application/octet-stream")
        .then(function (stored) { return advance(card, form.dataset.to, note, stored.photo); });
    });
  }

  list.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-action]");
    var card = button && button.closest("article.fd-card");
    if (!card) return;
    if (button.dataset.action === "acknowledge") {
      run(card, function () { return request("/api/dispatches/" + card.dataset.dispatch + "/acknowledge", {}); });
    } else if (button.dataset.action === "advance") {
      run(card, function () { return advance(card, button.dataset.to, null, null); });
    }
  });
  list.addEventListener("submit", function (event) {
    var form = event.target;
    var card = form.closest("article.fd-card");
    event.preventDefault();
    if (!card) return;
    if (form.dataset.form === "assign") {
      var responder = form.elements.responder.value;
      if (!responder) {
        say(card, M.chooseResponder, true);
        return;
      }
      run(card, function () {
        return request("/api/dispatches/" + card.dataset.dispatch + "/assign", {responder: responder});
      });
    } else if (form.dataset.form === "resolve") {
      resolve(card, form);
    }
  });
  live.markTouched(list, "article.fd-card");

  // --- the live stream --------------------------------------------------------------------------------------
  function setConnection(state) { root.setAttribute("data-connection", state); }
  function connect() {
    var source = new EventSource("/api/field/events");
    ["snapshot", "reload", "dispatch", "ticket"].forEach(function (kind) {
      source.addEventListener(kind, function () {
        setConnection("live");
        soon();
      });
    });
    source.addEventListener("error", function () {
      setConnection("lost");
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000); // e.g. an answer other than 200
    });
  }

  syncClock(list.querySelector(".fd-list"));
  tick();
  setInterval(tick, 1000);
  connect();
})();

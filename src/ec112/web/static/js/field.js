/* ec112 agency and responder pages (/agency, /responder): live list, big buttons, position with each step.

   The list is server-rendered (/agency/list, /responder/list). The filtered stream /api/field/events says when
   something of hers changed; the list is then read again and merged card by card. The rule it keeps: a live
   update never loses what she typed or chose. A card she is working in (a form touched, a field focused, a
   request in flight) keeps its form; only its [data-live] parts (status, times, the ticket's facts, the step
   button) are replaced. Every action goes through the JSON API, which checks who may do what. */
(function () {
  "use strict";
  var root = document.getElementById("field");
  var list = document.getElementById("field-list");
  if (!root || !list) return;

  var M = JSON.parse(document.getElementById("field-messages").textContent);
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var maxPhoto = Number(root.dataset.photoMaxBytes || 0);
  var offsetMs = 0; // server clock minus this phone's clock
  var refreshing = false;
  var again = false;
  var pending = null;

  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }
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
  function busy(card) {
    var active = document.activeElement;
    return card.dataset.dirty === "yes" || card.dataset.busy === "yes" ||
      (!!active && card.contains(active) && !!active.form);
  }

  function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    fetch(root.dataset.list, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(merge)
      .catch(function () { /* the next event or the reconnect's snapshot reads it again */ })
      .then(function () {
        refreshing = false;
        if (again) { again = false; refresh(); }
      });
  }
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

  function keepMessage(old, fresh) { // what the last action said stays on the new card
    var before = old.querySelector('[data-role="message"]');
    var after = fresh.querySelector('[data-role="message"]');
    if (before && after) {
      after.textContent = before.textContent;
      after.className = before.className;
    }
  }

  function merge(html) {
    var box = document.createElement("div");
    box.innerHTML = html;
    var fresh = box.querySelector(".fd-list");
    var current = list.querySelector(".fd-list");
    if (!fresh) return;
    syncClock(fresh);
    if (!current) {
      list.replaceChildren(fresh);
      tick();
      return;
    }
    current.setAttribute("data-server-now", fresh.getAttribute("data-server-now"));
    var olds = {};
    current.querySelectorAll(":scope > article.fd-card").forEach(function (card) { olds[card.dataset.dispatch] = card; });
    var wanted = [];
    fresh.querySelectorAll(":scope > article.fd-card").forEach(function (card) {
      var old = olds[card.dataset.dispatch];
      if (old && busy(old)) {
        patch(old, card);
        wanted.push(old);
      } else {
        if (old) keepMessage(old, card);
        wanted.push(card);
      }
    });
    wanted.forEach(function (card, i) {
      var place = i === 0 ? current.firstElementChild : wanted[i - 1].nextElementSibling;
      if (card !== place) current.insertBefore(card, place);
    });
    Array.prototype.slice.call(current.children).forEach(function (el) {
      if (wanted.indexOf(el) < 0) el.remove();
    });
    if (!wanted.length) {
      var empty = fresh.querySelector(":scope > .fd-empty");
      if (empty) current.appendChild(empty);
    }
    tick();
  }

  // --- acting -----------------------------------------------------------------------------------------------
  function say(card, text, isError) {
    var box = card.querySelector('[data-role="message"]');
    if (!box) return;
    box.textContent = text;
    box.classList.toggle("fd-is-error", !!isError);
  }

  function request(path, body, contentType) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": contentType || "application/json", "Accept": "application/json", "X-CSRF-Token": csrf},
      body: contentType ? body : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        if (response.ok) return answer;
        var reason = answer.message || "HTTP " + response.status;
        throw new Error(response.status === 401 || answer.code === "csrf_failed" ? M.expired : fmt(M.failed, {reason: reason}));
      });
    }, function () {
      throw new Error(M.offline);
    });
  }

  // Runs one action on a card: its controls are disabled meanwhile, the outcome is said on the card.
  function run(card, work) {
    if (card.dataset.busy === "yes") return;
    card.dataset.busy = "yes";
    var controls = card.querySelectorAll("button, input, select, textarea");
    controls.forEach(function (el) { el.disabled = true; });
    say(card, M.sending, false);
    work().then(function (doneText) {
      delete card.dataset.dirty;
      say(card, typeof doneText === "string" ? doneText : M.done, false);
    }, function (error) {
      say(card, error.message, true);
    }).then(function () {
      delete card.dataset.busy;
      controls.forEach(function (el) { el.disabled = false; });
      refresh();
    });
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
      if (!file) return advance(card, "resolved", note, null);
      say(card, M.uploading, false);
      return request("/api/dispatches/" + card.dataset.dispatch + "/photos", file, file.type || "application/octet-stream")
        .then(function (stored) { return advance(card, "resolved", note, stored.photo); });
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
  var touched = function (event) {
    var card = event.target.closest && event.target.closest("article.fd-card");
    if (card && event.target.form) card.dataset.dirty = "yes";
  };
  list.addEventListener("input", touched);
  list.addEventListener("change", touched);

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

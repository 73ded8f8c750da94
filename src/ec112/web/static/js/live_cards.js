/* ec112 live cards: what the console (console*.js) and the agency and responder pages (field.js) share.

   A live card is a server-rendered block that a live event makes the page read again: a ticket card, its
   dispatch section, a dispatch on an officer's or a responder's list. The rule all of them keep: a live update
   never replaces what she typed or is doing. The pieces of that rule, as window.ec112Live:
   - fragment(url, selector): reads a server fragment, gives the element wanted (null if it has none);
   - retry(work, options): runs a read again, with a growing pause, until it succeeds or the caller gives up;
   - serial(read): one read at a time per key; a call meanwhile reads once more when it is done;
   - busy(el): she works in it (a form touched, a request in flight, a form field focused): do not swap it;
   - markTouched(root, selector): the card of a form field she edits gets data-dirty="yes";
   - merge(container, freshChildren, key, keep): fresh children in place of the old ones, hers kept;
   - send / post: JSON requests with the page's CSRF token; act(el, options, work): one card action;
   - listen(root, handlers): named events of the htmx SSE extension's stream (its public htmx:sseOpen event).
   A plain script: no framework, no build step, nothing from the internet. */
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";

  // "%(name)s" placeholders of a server-translated text, filled in.
  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_m, key) {
      return values[key] == null ? "" : String(values[key]);
    });
  }

  // A <script type="application/json"> block of the page: its texts, codes and labels, from the server.
  function config(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : {};
  }

  // The JSON data of an SSE message, or null.
  function parse(event) {
    try { return JSON.parse(event.data); } catch (_e) { return null; }
  }

  // --- reading ------------------------------------------------------------------------------------------------
  function fragment(url, selector) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        var box = document.createElement("div");
        box.innerHTML = html;
        return box.querySelector(selector);
      });
  }

  // work() until it succeeds: after its n-th failure, options.failed(n, error) says whether to go on (false:
  // give up); at most options.tries runs, the n-th pause options.pause * n ms. The promise settles as the last run.
  function retry(work, options) {
    var attempt = 0;
    function run() {
      return Promise.resolve().then(work).catch(function (error) {
        attempt += 1;
        if (!options.failed(attempt, error) || attempt >= options.tries) throw error;
        return new Promise(function (resolve) { setTimeout(resolve, options.pause * attempt); }).then(run);
      });
    }
    return run();
  }

  // read(key) with at most one run per key at a time; calls meanwhile make one more run when it ends. Failures
  // are dropped: the next live event (or the reconnect's snapshot) reads it again.
  function serial(read) {
    var running = new Map(); // key -> true, or "again"
    return function go(key) {
      if (running.has(key)) {
        running.set(key, "again");
        return;
      }
      running.set(key, true);
      Promise.resolve(key).then(read).catch(function () { /* read again by the next event */ }).then(function () {
        var again = running.get(key) === "again";
        running.delete(key);
        if (again) go(key);
      });
    };
  }

  // --- her work ---------------------------------------------------------------------------------------------
  function busy(el) {
    var active = document.activeElement;
    return el.dataset.dirty === "yes" || el.dataset.busy === "yes" ||
      (!!active && el.contains(active) && active.tagName !== "SUMMARY" && !!active.form);
  }

  function markTouched(root, selector) {
    var touched = function (event) {
      var el = event.target.closest && event.target.closest(selector);
      if (el && event.target.form) el.dataset.dirty = "yes";
    };
    root.addEventListener("input", touched);
    root.addEventListener("change", touched);
  }

  // Puts `wanted` (in this order) as the children of `container`; the children not in it go.
  function arrange(container, wanted) {
    wanted.forEach(function (el, i) {
      var place = i === 0 ? container.firstElementChild : wanted[i - 1].nextElementSibling;
      if (el !== place) container.insertBefore(el, place);
    });
    Array.prototype.slice.call(container.children).forEach(function (el) {
      if (wanted.indexOf(el) < 0) el.remove();
    });
  }

  // The fresh children in place of the container's ones, matched by key(el) (null: no match): an old child stays
  // (and the fresh one is dropped) when keep(old, fresh) says so. Gives the children now in place.
  function merge(container, freshChildren, key, keep) {
    var olds = {};
    Array.prototype.forEach.call(container.children, function (el) {
      var k = key(el);
      if (k != null) olds[k] = el;
    });
    var wanted = Array.prototype.map.call(freshChildren, function (child) {
      var k = key(child);
      var old = k == null ? null : olds[k];
      return old && keep(old, child) ? old : child;
    });
    arrange(container, wanted);
    return wanted;
  }

  // A message box of a card (data-role=role): its text, and errorClass on it for an error.
  function say(el, role, text, isError, errorClass) {
    var box = el && el.querySelector('[data-role="' + role + '"]');
    if (!box) return;
    box.textContent = text;
    box.classList.toggle(errorClass, !!isError);
  }

  // What the last action said (the boxes `selector` finds in `from`) stays said on `to`, a fresh copy.
  function keepSaid(from, to, selector) {
    from.querySelectorAll(selector).forEach(function (box) {
      var same = to.querySelector('[data-role="' + box.dataset.role + '"]');
      if (same) {
        same.textContent = box.textContent;
        same.className = box.className;
      }
    });
  }

  // --- acting ---------------------------------------------------------------------------------------------------
  // A POST with the page's CSRF token: {ok, status, body} (body: the JSON answer, else {}); rejected offline.
  function send(path, body, contentType) {
    return fetch(path, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": contentType || "application/json", "Accept": "application/json", "X-CSRF-Token": csrf},
      body: contentType ? body : JSON.stringify(body)
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (answer) {
        return {ok: response.ok, status: response.status, body: answer || {}};
      });
    });
  }

  // send(), its refusals as errors with her words: texts.expired (session ended), texts.failed (with
  // %(reason)s), texts.offline.
  function post(path, body, texts, contentType) {
    return send(path, body, contentType).then(function (result) {
      if (result.ok) return result.body;
      throw new Error(result.status === 401 || result.body.code === "csrf_failed" ? texts.expired
        : fmt(texts.failed, {reason: result.body.message || "HTTP " + result.status}));
    }, function () {
      throw new Error(texts.offline);
    });
  }

  // One action on a card (or a part of one): busy meanwhile (live updates leave it alone), its controls
  // disabled, options.say(text, isError) tells how it went (options.sending, the text work() resolves with, else
  // options.done), then options.after() reads it again.
  function act(el, options, work) {
    if (el.dataset.busy === "yes") return;
    el.dataset.busy = "yes";
    var controls = el.querySelectorAll(options.controls || "button");
    controls.forEach(function (c) { c.disabled = true; });
    options.say(options.sending, false);
    work().then(function (text) {
      delete el.dataset.dirty;
      options.say(typeof text === "string" ? text : options.done, false);
    }, function (error) {
      options.say(error.message, true);
    }).then(function () {
      delete el.dataset.busy;
      controls.forEach(function (c) { c.disabled = false; });
      if (options.after) options.after();
    });
  }

  // --- the live stream --------------------------------------------------------------------------------------
  // handlers[name](event) for each named event of the stream the htmx SSE extension keeps for `root`
  // (sse-connect). Added on its public htmx:sseOpen event (detail.source), before any message of that connection,
  // once per EventSource: the extension makes a new one after an error closed the last, the browser re-opens the
  // same one after a dropped connection.
  function listen(root, handlers) {
    var wired = new WeakSet();
    root.addEventListener("htmx:sseOpen", function (event) {
      var source = event.detail && event.detail.source;
      if (!source || wired.has(source)) return;
      wired.add(source);
      Object.keys(handlers).forEach(function (name) { source.addEventListener(name, handlers[name]); });
    });
  }

  window.ec112Live = {
    fmt: fmt, config: config, parse: parse, fragment: fragment, retry: retry, serial: serial, busy: busy,
    markTouched: markTouched, merge: merge, say: say, keepSaid: keepSaid, send: send, post: post, act: act,
    listen: listen
  };
})();

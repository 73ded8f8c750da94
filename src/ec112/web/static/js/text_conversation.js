/* ec112 text to 112: one ticket's conversation (templates/text_conversation.html). Shows the messages, refetches
   them when the live stream says one came in or went out (SSE "text", no body on the stream), and sends the call
   taker's answer through the JSON API. The 1 KB limit is counted in UTF-8 bytes, as Asterisk counts it. */
(function () {
  "use strict";
  var root = document.getElementById("text-conversation");
  if (!root) { return; }
  var M = JSON.parse(document.getElementById("text-messages-i18n").textContent);
  var list = document.getElementById("text-messages");
  var form = document.getElementById("text-reply");
  var problem = document.getElementById("text-problem");
  var api = "/api/tickets/" + encodeURIComponent(root.dataset.ticket) + "/messages";
  var maxBytes = parseInt(root.dataset.maxBytes, 10);
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (_m, k) { return values[k] === undefined ? "" : values[k]; });
  }
  var when = new Intl.DateTimeFormat(root.dataset.lang === "en" ? "en-GB" : "id-ID",
                                     {dateStyle: "short", timeStyle: "medium", timeZone: root.dataset.tz});
  function bytes(text) { return new TextEncoder().encode(text).length; }
  function show(text) { if (problem) { problem.textContent = text; problem.hidden = !text; } }

  function render(messages) {
    list.textContent = "";
    messages.forEach(function (m) {
      var li = document.createElement("li");
      li.className = "text-message text-" + m.direction;
      li.dataset.status = m.status;
      var meta = document.createElement("span");
      meta.className = "text-meta";
      meta.textContent = when.format(new Date(m.at)) + " · " + m.author;
      if (m.status === "failed") {
        var failed = document.createElement("strong");
        failed.className = "text-failed";
        failed.textContent = " " + fmt(M.notDelivered, {reason: m.error || ""});
        meta.appendChild(failed);
      }
      var body = document.createElement("span");
      body.className = "text-body";
      body.textContent = m.body;
      li.appendChild(meta);
      li.appendChild(body);
      list.appendChild(li);
    });
  }
  function refresh() {
    return fetch(api, {credentials: "same-origin"}).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { render(data.messages); } }).catch(function () {});
  }

  var events = new EventSource("/api/events");
  events.addEventListener("text", function (e) {
    var data = JSON.parse(e.data);
    if (String(data.ticket_id) === root.dataset.ticketId) { refresh(); }
  });
  events.addEventListener("reload", refresh);

  if (!form) { return; }
  var field = form.elements.body;
  var counter = document.getElementById("text-reply-bytes");
  field.addEventListener("input", function () { counter.textContent = String(bytes(field.value)); });
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = field.value.trim();
    var size = bytes(text);
    if (size > maxBytes) { show(fmt(M.tooLong, {bytes: size, max: maxBytes})); return; }
    show(M.sending);
    fetch(api, {method: "POST", credentials: "same-origin",
                headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
                body: JSON.stringify({body: text})})
      .then(function (r) { return r.json().then(function (body) { return {ok: r.ok, body: body}; }); })
      .then(function (res) {
        if (!res.ok) {
          var reason = res.body.message || (res.body.detail && JSON.stringify(res.body.detail)) || "";
          show(fmt(M.failed, {reason: reason}));
          return;
        }
        if (res.body.status === "failed") {
          show(fmt(M.failed, {reason: res.body.error || ""}));
        } else {
          show("");
          field.value = "";
          counter.textContent = "0";
        }
        refresh();
      })
      .catch(function () { show(M.offline); });
  });
}());

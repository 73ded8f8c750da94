/* Known incidents (mass-incident mode): the banner's time left ticks; on the console, "link this ticket" links the
   ticket shown to the incident in one click (POST /api/tickets/{ticket}/link-incident). The banner itself is a
   server fragment (incidents_banner.html) that htmx refetches on the live "incident" event. */
(function () {
  "use strict";
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var texts = {};
  var textsEl = document.getElementById("incident-messages");
  if (textsEl) texts = JSON.parse(textsEl.textContent);

  function fmt(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = (h && m < 10 ? "0" : "") + m, ss = (r < 10 ? "0" : "") + r;
    return h ? h + ":" + mm + ":" + ss : mm + ":" + ss;
  }

  setInterval(function () {
    document.querySelectorAll(".ki-left[data-ends]").forEach(function (el) {
      var left = (Date.parse(el.dataset.ends) - Date.now()) / 1000;
      el.textContent = fmt(left);
      var item = el.closest(".ki-item");
      if (left <= 0 && item) item.hidden = true; // over: callers no longer hear it (the next refetch drops it)
    });
  }, 1000);

  function currentTicket() {
    var card = document.querySelector("#tickets .cs-ticket-card:not([hidden])");
    return card ? card.dataset.number : null;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button.ki-link") : null;
    if (!button) return;
    var result = button.parentElement.querySelector(".ki-result");
    var ticket = currentTicket();
    if (!ticket) {
      result.textContent = texts.noTicket || "No ticket open.";
      return;
    }
    button.disabled = true;
    fetch("/api/tickets/" + encodeURIComponent(ticket) + "/link-incident", {
      method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf},
      body: JSON.stringify({incident_id: Number(button.dataset.incident)})
    }).then(function (response) {
      return response.json().then(function (body) { return {ok: response.ok, body: body}; });
    }).then(function (answer) {
      result.textContent = answer.ok ? (texts.linked || "Linked: %(ticket)s").replace("%(ticket)s", answer.body.ticket)
        : (texts.failed || "Not linked: %(reason)s").replace("%(reason)s", answer.body.message || "");
    }).catch(function () {
      result.textContent = (texts.failed || "Not linked: %(reason)s").replace("%(reason)s", "offline");
    }).finally(function () { button.disabled = false; });
  });
})();

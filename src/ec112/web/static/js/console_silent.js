/* ec112 console: the "silent caller" (Penelepon diam) button of a ticket card (templates/console_silent.html).

   The button asks ec112 to whisper "if you cannot speak, press 5 twice" to the caller only
   (POST /api/tickets/{number}/silent; the call stays with her). The card's line says where it stands —
   asked, caller confirmed, no keypress — read when a card appears (GET …/silent) and then from the live
   stream's `silent` events, which come the moment the caller's keys reach ec112. A card console.js replaces
   is a new element: it is read again. Nothing here touches the classification form. */
(function () {
  "use strict";
  var root = document.getElementById("console");
  var area = document.getElementById("tickets");
  var live = window.ec112Live;
  if (!root || !area || !live) return;

  var LABELS = {prompted: "labelPrompted", confirmed: "labelConfirmed", no_keypress: "labelNoKeypress"};

  function path(number) {
    return "/api/tickets/" + encodeURIComponent(number) + "/silent";
  }

  function boxes(number) {
    return Array.prototype.filter.call(area.querySelectorAll('[data-role="silent"]'), function (box) {
      return number == null || box.dataset.ticket === number;
    });
  }

  function render(box, data) {
    var state = data && data.state;
    var line = box.querySelector('[data-role="silent-state"]');
    line.textContent = state && LABELS[state] ? box.dataset[LABELS[state]] : "";
    line.className = "cs-silent-state" + (state ? " cs-silent-" + state : "");
    box.dataset.state = state || "";
    box.querySelector('[data-role="silent-button"]').disabled = state === "prompted";
  }

  function read(box) {
    return fetch(path(box.dataset.ticket), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) render(box, data); })
      .catch(function () { /* read again at the next event or reconnection */ });
  }

  function readNew() {
    boxes(null).forEach(function (box) {
      if (box.dataset.read) return;
      box.dataset.read = "yes";
      read(box);
    });
  }

  area.addEventListener("click", function (event) {
    var button = event.target.closest('[data-role="silent-button"]');
    if (!button) return;
    var box = button.closest('[data-role="silent"]');
    var message = box.querySelector('[data-role="silent-message"]');
    var texts = {expired: box.dataset.expired, failed: box.dataset.failed, offline: box.dataset.offline};
    button.disabled = true;
    message.textContent = "";
    live.post(path(box.dataset.ticket), {}, texts).then(function (data) {
      render(box, data);
    }, function (error) {
      message.textContent = error.message;
      button.disabled = box.dataset.state === "prompted";
    });
  });

  live.listen(root, {
    silent: function (event) {
      var data = live.parse(event);
      if (data) boxes(data.ticket).forEach(function (box) { render(box, data); });
    },
    snapshot: function () { // (re)connected: what changed meanwhile
      boxes(null).forEach(read);
    }
  });

  new MutationObserver(readNew).observe(area, {childList: true, subtree: true});
  readNew();
})();

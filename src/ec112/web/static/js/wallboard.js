/* ec112 wallboard: makes the timers tick between server fragments and shows when the live stream is lost.
 *
 * The panels themselves are fetched by htmx (see templates/wallboard.html). Each fragment carries the
 * server's clock (data-server-now), so a wrong clock on the wallboard PC does not distort the waits.
 * A timer is <span data-since="ISO 8601"> and, optionally, data-amber-after / data-red-after in seconds
 * (lower is better: past the first it turns amber, past the second red); with data-rating-for="id" the
 * colour and the word go to that element instead.
 */
(function () {
  "use strict";

  var offsetMs = 0; // server clock minus this browser's clock

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  // The same format as ec112.web.ticket_pages.fmt_duration: m:ss or h:mm:ss.
  function duration(seconds) {
    var total = Math.max(0, Math.floor(seconds));
    var hours = Math.floor(total / 3600);
    var minutes = Math.floor((total % 3600) / 60);
    var secs = total % 60;
    return hours ? hours + ":" + pad(minutes) + ":" + pad(secs) : minutes + ":" + pad(secs);
  }

  function syncClock(root) {
    var marked = root && root.querySelector ? root.querySelector("[data-server-now]") : null;
    if (root && root.hasAttribute && root.hasAttribute("data-server-now")) {
      marked = root;
    }
    if (!marked) {
      return;
    }
    var server = Date.parse(marked.getAttribute("data-server-now"));
    if (!isNaN(server)) {
      offsetMs = server - Date.now();
    }
  }

  // A rated block (e.g. the longest wait): its colour and its word (data-label-green/amber/red) move together.
  function showRating(target, rating) {
    if (target.getAttribute("data-rating") === rating) {
      return;
    }
    target.setAttribute("data-rating", rating);
    ["green", "amber", "red", "none"].forEach(function (r) {
      target.classList.toggle("rating-" + r, r === rating);
    });
    var word = target.querySelector(".wb-rating");
    var label = target.getAttribute("data-label-" + rating);
    if (word && label) {
      word.textContent = label;
    }
  }

  function tick() {
    var now = Date.now() + offsetMs;
    var timers = document.querySelectorAll("[data-since]");
    for (var i = 0; i < timers.length; i++) {
      var el = timers[i];
      var since = Date.parse(el.getAttribute("data-since"));
      if (isNaN(since)) {
        continue;
      }
      var seconds = (now - since) / 1000;
      var text = duration(seconds);
      if (el.textContent !== text) {
        el.textContent = text;
      }
      var amber = parseFloat(el.getAttribute("data-amber-after"));
      var red = parseFloat(el.getAttribute("data-red-after"));
      if (!isNaN(amber) && !isNaN(red)) {
        var rating = seconds > red ? "red" : seconds > amber ? "amber" : "green";
        var target = document.getElementById(el.getAttribute("data-rating-for") || "");
        if (target) {
          showRating(target, rating);
        } else {
          el.classList.toggle("rating-red", rating === "red");
          el.classList.toggle("rating-amber", rating === "amber");
        }
      }
    }
  }

  function setConnection(state) {
    var board = document.getElementById("wallboard");
    if (board) {
      board.setAttribute("data-connection", state);
    }
  }

  document.addEventListener("htmx:afterSettle", function (event) {
    syncClock(event.target);
    tick();
  });
  document.addEventListener("htmx:sseOpen", function () {
    setConnection("live");
  });
  document.addEventListener("htmx:sseError", function () {
    setConnection("lost");
  });
  document.addEventListener("DOMContentLoaded", function () {
    syncClock(document.getElementById("wallboard"));
    tick();
    window.setInterval(tick, 1000);
  });
})();

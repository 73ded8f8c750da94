// Callback countdowns (callbacks_panel.html): seconds left to each task's deadline, from the server's clock
// (data-server-now of the fragment: the browser's clock may be wrong); after it, "overdue" and counting up.
(function () {
  "use strict";
  var offsets = new WeakMap();  // fragment → server clock minus browser clock (ms)

  function fmt(seconds) {
    var s = Math.abs(Math.round(seconds));
    var m = Math.floor(s / 60);
    var r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }

  function tick() {
    document.querySelectorAll(".cb-fragment").forEach(function (fragment) {
      if (!offsets.has(fragment)) {
        var server = Date.parse(fragment.dataset.serverNow || "");
        offsets.set(fragment, isNaN(server) ? 0 : server - Date.now());
      }
      var now = Date.now() + offsets.get(fragment);
      fragment.querySelectorAll(".cb-timer[data-deadline]").forEach(function (timer) {
        var left = (Date.parse(timer.dataset.deadline) - now) / 1000;
        var overdue = left < 0;
        timer.textContent = overdue ? (fragment.dataset.overdue || "overdue") + " +" + fmt(left) : fmt(left);
        timer.classList.toggle("cb-overdue", overdue);
      });
    });
  }

  tick();
  setInterval(tick, 1000);
  document.addEventListener("htmx:afterSwap", tick);
})();

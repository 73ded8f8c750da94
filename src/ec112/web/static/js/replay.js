/* The replayable incident timeline on the ticket page (issue 14, docs/room.md E).
   One time axis from the arrival (0 s) to the last step: the slider (a range input: arrows, PageUp/PageDown,
   Home/End) and play/pause walk it. At each moment the map shows what was known then — the caller's latest
   fix as a circle, each dispatch's latest responder position as a marker — the list marks the current step
   (aria-current="step"), and the recording (when there is one) is sought to the same moment; while the
   audio plays, it moves the slider. Without a recording, play runs the axis in at most a minute. */
(function () {
  "use strict";
  var box = document.getElementById("replay");
  if (!box) return;
  var lang = document.documentElement.lang === "en" ? "en" : "id";
  var slider = document.getElementById("replay-slider");
  var playButton = document.getElementById("replay-play");
  var now = document.getElementById("replay-now");
  var list = document.getElementById("replay-steps");
  var note = document.getElementById("replay-audio-note");
  var data = null, map = null, fixLayer = null, responderLayer = null, audio = null;
  var timer = null, lastView = "", pos = 0; // pos: the moment shown (the slider snaps to whole seconds)

  function clock(seconds) {
    var s = Math.max(0, Math.floor(seconds));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var mm = (h ? String(m).padStart(2, "0") : String(m)) + ":" + String(r).padStart(2, "0");
    return h ? h + ":" + mm : mm;
  }

  function label(step) { return step.label[lang] || step.label.id; }

  function knownAt(t) {
    var fix = null, responders = {}, current = -1;
    data.steps.forEach(function (step, i) {
      if (step.offset_seconds > t) return;
      current = i;
      if (step.lat === null || step.lat === undefined) return;
      if (step.kind === "location") fix = step;
      else if (step.dispatch_id !== null) responders[step.dispatch_id] = step;
    });
    return {fix: fix, responders: responders, current: current};
  }

  function drawMap(known) {
    if (!map) return;
    fixLayer.clearLayers();
    responderLayer.clearLayers();
    var points = [];
    if (known.fix) {
      var f = known.fix;
      L.circle([f.lat, f.lon], {radius: Math.max(f.radius || 0, 10), className: "replay-fix", weight: 2})
        .bindTooltip(box.dataset.caller).addTo(fixLayer);
      points.push([f.lat, f.lon]);
    }
    Object.keys(known.responders).forEach(function (id) {
      var r = known.responders[id];
      L.marker([r.lat, r.lon], {keyboard: false, title: (r.agency || "") + " · " + label(r),
        icon: L.divIcon({className: "replay-responder", iconSize: null,
                         html: "<i></i><span>" + (r.agency || "").replace(/[<>&"]/g, "") + "</span>"})})
        .addTo(responderLayer);
      points.push([r.lat, r.lon]);
    });
    var view = JSON.stringify(points);
    box.dataset.shown = view; // what the map shows now (read by the e2e test and by nobody else)
    if (view === lastView || !points.length) return;
    lastView = view;
    if (points.length === 1) map.setView(points[0], Math.max(map.getZoom(), 15));
    else map.fitBounds(L.latLngBounds(points), {padding: [30, 30], maxZoom: 17});
  }

  function show(t, fromAudio) {
    var known = knownAt(t);
    pos = t;
    slider.value = String(t);
    var step = known.current >= 0 ? data.steps[known.current] : null;
    var text = clock(t) + " / " + clock(data.duration_seconds) + (step ? " · " + label(step) : "");
    now.textContent = text;
    slider.setAttribute("aria-valuetext", text);
    Array.prototype.forEach.call(list.children, function (li, i) {
      if (i === known.current) li.setAttribute("aria-current", "step");
      else li.removeAttribute("aria-current");
    });
    drawMap(known);
    if (audio && !fromAudio) seekAudio(t);
  }

  function seekAudio(t) {
    var rec = data.recording;
    var inside = t >= rec.offset_seconds && (rec.duration === null || t < rec.offset_seconds + rec.duration);
    if (!inside) { if (!audio.paused) audio.pause(); return; }
    var want = t - rec.offset_seconds;
    if (Math.abs(audio.currentTime - want) > 0.5) audio.currentTime = want;
    if (timer && audio.paused) audio.play().catch(function () {});
  }

  function playing() { return timer !== null; }

  function stop() {
    if (timer) clearInterval(timer);
    timer = null;
    if (audio && !audio.paused) audio.pause();
    playButton.textContent = box.dataset.play;
    playButton.setAttribute("aria-pressed", "false");
  }

  function start() {
    var max = Number(slider.max);
    if (pos >= max) pos = 0;
    var speed = Math.max(1, max / 60);
    playButton.textContent = box.dataset.pause;
    playButton.setAttribute("aria-pressed", "true");
    timer = setInterval(function () {
      if (audio && !audio.paused) return; // the audio drives the slider (timeupdate)
      var t = Math.min(max, pos + speed * 0.2);
      show(t, false);
      if (t >= max) stop();
    }, 200);
    show(pos, false);
  }

  function build(replay) {
    data = replay;
    slider.max = String(Math.ceil(replay.duration_seconds));
    slider.disabled = false;
    playButton.disabled = false;
    replay.steps.forEach(function (step) {
      var li = document.createElement("li");
      li.className = "replay-step replay-" + step.kind.replace(/[^a-z0-9-]/g, "-");
      li.dataset.kind = step.kind;
      li.dataset.offset = String(step.offset_seconds);
      var go = document.createElement("button");
      go.type = "button";
      go.className = "link-button";
      go.textContent = "+" + clock(step.offset_seconds) + " " + label(step);
      go.addEventListener("click", function () { show(step.offset_seconds, false); });
      li.appendChild(go);
      list.appendChild(li);
    });
    var rec = replay.recording;
    if (rec && rec.url) {
      audio = document.createElement("audio");
      audio.controls = true;
      audio.preload = "metadata";
      audio.id = "replay-audio";
      audio.src = rec.url;
      audio.addEventListener("timeupdate", function () {
        if (!audio.paused) show(Math.min(Number(slider.max), rec.offset_seconds + audio.currentTime), true);
      });
      audio.addEventListener("play", function () { if (!playing()) start(); });
      note.replaceWith(audio);
    } else {
      note.textContent = rec ? box.dataset.notPlayable.replace("%(state)s", rec.state) : box.dataset.noRecording;
    }
    if (window.L) {
      map = L.map(document.getElementById("replay-map"), {attributionControl: false, scrollWheelZoom: false,
                                                          keyboard: true, zoomSnap: 0.5});
      map.setView([-1.1, 116.6], 10); // the shipped regency until a fix or a responder is shown
      L.control.scale({imperial: false}).addTo(map);
      fixLayer = L.featureGroup().addTo(map);
      responderLayer = L.featureGroup().addTo(map);
    }
    show(0, false);
    box.dataset.ready = "1";
  }

  slider.addEventListener("input", function () { show(Number(slider.value), false); });
  playButton.addEventListener("click", function () { if (playing()) stop(); else start(); });

  fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then(build)
    .catch(function () { now.textContent = box.dataset.failed; });
})();

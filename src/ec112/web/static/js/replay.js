/* The replayable incident timeline on the ticket page (issue 14, docs/room.md E).
   One time axis from the arrival (0 s) to the last step: the slider (a range input; arrows ± 1 s, Page Up/Down
   the previous/next step, Home/End) and play/pause walk it. At each moment the map shows what was known then — the caller's latest
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
  var timer = null, lastView = "", pos = 0; // pos: the moment shown

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
    var points = [], frame = [];
    if (known.fix) {
      var f = known.fix;
      var circle = L.circle([f.lat, f.lon], {radius: Math.max(f.radius || 0, 10), className: "replay-fix", weight: 2})
        .bindTooltip(box.dataset.caller).addTo(fixLayer);
      points.push([f.lat, f.lon]);
      frame.push(circle.getBounds());
    }
    Object.keys(known.responders).forEach(function (id) {
      var r = known.responders[id];
      L.marker([r.lat, r.lon], {keyboard: false, title: (r.agency || "") + " · " + label(r),
        icon: L.divIcon({className: "replay-responder", iconSize: null,
                         html: "<i></i><span>" + (r.agency || "").replace(/[<>&"]/g, "") + "</span>"})})
        .addTo(responderLayer);
      points.push([r.lat, r.lon]);
      frame.push(L.latLngBounds([[r.lat, r.lon], [r.lat, r.lon]]));
    });
    var view = JSON.stringify(points);
    box.dataset.shown = view; // what the map shows now (read by the e2e test and by nobody else)
    if (view === lastView || !points.length) return;
    lastView = view;
    var bounds = frame[0];
    frame.slice(1).forEach(function (b) { bounds.extend(b); });
    map.fitBounds(bounds, {padding: [30, 30], maxZoom: 17}); // the caller's whole circle and every responder
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
    var li = list.children[known.current];
    if (li && (li.offsetTop < list.scrollTop || li.offsetTop + li.offsetHeight > list.scrollTop + list.clientHeight)) {
      list.scrollTop = li.offsetTop - list.clientHeight / 2; // the current step stays in sight (not the page)
    }
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
    slider.max = String(replay.duration_seconds);
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
      var tiles = box.dataset.tileUrl;
      map = L.map(document.getElementById("replay-map"), {attributionControl: !!tiles, scrollWheelZoom: false,
                                                          keyboard: true, zoomSnap: 0.5});
      map.setView([-1.1, 116.6], 10); // the shipped regency until a fix or a responder is shown
      if (tiles) L.tileLayer(tiles, {attribution: box.dataset.attribution, maxZoom: 19}).addTo(map);
      L.control.scale({imperial: false}).addTo(map);
      fixLayer = L.featureGroup().addTo(map);
      responderLayer = L.featureGroup().addTo(map);
    }
    show(0, false);
    box.dataset.ready = "1";
  }

  slider.addEventListener("input", function () { show(Number(slider.value), false); });
  // step="any": steps a split second apart stay apart; so the keys are ours: a second, a step, the ends.
  slider.addEventListener("keydown", function (event) {
    if (!data) return;
    var max = Number(slider.max), t = null;
    if (event.key === "ArrowRight" || event.key === "ArrowUp") t = Math.min(max, Math.floor(pos) + 1);
    else if (event.key === "ArrowLeft" || event.key === "ArrowDown") t = Math.max(0, Math.ceil(pos) - 1);
    else if (event.key === "PageDown") t = nextStep(pos);
    else if (event.key === "PageUp") t = previousStep(pos);
    else if (event.key === "Home") t = 0;
    else if (event.key === "End") t = max;
    if (t === null) return;
    event.preventDefault();
    show(t, false);
  });

  function nextStep(t) {
    for (var i = 0; i < data.steps.length; i++) if (data.steps[i].offset_seconds > t) return data.steps[i].offset_seconds;
    return Number(slider.max);
  }

  function previousStep(t) {
    for (var i = data.steps.length - 1; i >= 0; i--) if (data.steps[i].offset_seconds < t) return data.steps[i].offset_seconds;
    return 0;
  }
  playButton.addEventListener("click", function () { if (playing()) stop(); else start(); });

  fetch(box.dataset.url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
    .then(build)
    .catch(function () { now.textContent = box.dataset.failed; });
})();

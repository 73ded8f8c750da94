/* ec112 console: how the location section of a ticket card says things (console_location.js renders with it):
   a location's coordinates, uncertainty, source and age ("3 hari yang lalu"), where it is (kecamatan and desa,
   a desa border, a neighbouring kabupaten, the sea), a report that could not be placed, a hint.
   Texts come translated from the server (console.html's messages); numbers and ages in her language (Intl).

   window.ec112LocationView(texts, lang) -> {el, age, coords, radius, sourceName, distance, bestLine, areaLine,
   sourceItem, unlocatedItem, hintItem}. */
(function () {
  "use strict";
  var live = window.ec112Live;
  var DESA_PRECISION_M = 5000;

  window.ec112LocationView = function (T, lang) {
    var km = new Intl.NumberFormat(lang, {maximumFractionDigits: 1, minimumFractionDigits: 1});
    var relative = new Intl.RelativeTimeFormat(lang, {numeric: "auto"});

    function age(iso) {
      var seconds = (Date.parse(iso) - Date.now()) / 1000;
      if (!isFinite(seconds)) return "";
      var units = [["day", 86400], ["hour", 3600], ["minute", 60]];
      for (var i = 0; i < units.length; i += 1) {
        if (Math.abs(seconds) >= units[i][1]) return relative.format(Math.round(seconds / units[i][1]), units[i][0]);
      }
      return relative.format(Math.round(seconds), "second");
    }
    function ageOf(seconds) { return age(new Date(Date.now() - seconds * 1000).toISOString()); }
    function radius(loc) { return loc.radius_m != null ? "± " + Math.round(loc.radius_m) + " m" : T.radiusUnknown; }
    function coords(loc) { return loc.lat.toFixed(5) + ", " + loc.lon.toFixed(5); }
    function sourceName(s) { return T.sourceLabels[s] || s; }
    function el(tag, className, text) {
      var e = document.createElement(tag);
      if (className) e.className = className;
      if (text != null) e.textContent = text;
      return e;
    }
    function distance(m) { return m < 1000 ? Math.round(m) + " m" : km.format(m / 1000) + " km"; }

    // --- what the section says ----------------------------------------------------------------------------
    function bestLine(loc) {
      var p = el("p", "cs-coords");
      p.appendChild(el("span", "cs-coords-value", coords(loc)));
      p.appendChild(el("span", null, " " + radius(loc)));
      var rest = [sourceName(loc.source)];
      if (loc.method) rest.push(loc.method);
      if (loc.label && loc.label !== sourceName(loc.source)) rest.push(loc.label);
      rest.push(age(loc.observed_at));
      p.appendChild(el("span", "muted cs-small", " · " + rest.join(" · ")));
      return p;
    }

    // Where the location is. A guess kilometres wide (a kecamatan picked by name) names no desa: that would be
    // precision it does not have.
    function areaLine(jur, loc) {
      var p = el("p", "cs-loc-area");
      if (!jur.kabupaten) {
        p.textContent = T.atSea;
        p.classList.add("cs-loc-outside");
      } else if (!jur.inside_regency) {
        p.textContent = live.fmt(T.outside, {name: jur.kabupaten.name});
        p.classList.add("cs-loc-outside");
      } else {
        var parts = [];
        if (jur.kecamatan) parts.push(live.fmt(T.kecamatan, {name: jur.kecamatan.name}));
        var wide = !!loc && loc.radius_m > DESA_PRECISION_M;
        if (jur.desa && !wide) parts.push(live.fmt(T.desa, {name: jur.desa.name}));
        p.textContent = parts.join(" · ");
        if (jur.border_with && jur.border_with.length && !wide) {
          p.appendChild(el("span", "cs-loc-border", " · " + live.fmt(T.borderWith, {names: jur.border_with.map(
            function (a) { return a.name; }).join(", ")})));
        }
      }
      return p;
    }

    function sourceItem(loc, colour) {
      var li = el("li", "cs-loc-source" + (loc.best ? " cs-loc-source-best" : ""));
      li.dataset.source = loc.source;
      var swatch = el("i", "cs-loc-swatch");
      swatch.style.background = colour(loc.source);
      li.appendChild(swatch);
      li.appendChild(el("strong", null, sourceName(loc.source)));
      li.appendChild(document.createTextNode(" " + coords(loc) + " " + radius(loc)));
      var rest = [];
      if (loc.method) rest.push(loc.method);
      if (loc.label && loc.label !== sourceName(loc.source)) rest.push(loc.label);
      rest.push(age(loc.observed_at));
      li.appendChild(el("span", "muted cs-small", " · " + rest.join(" · ")));
      if (loc.best) li.appendChild(el("span", "cs-loc-best-tag", " " + T.bestTag));
      return li;
    }

    function unlocatedItem(u) {
      if (u.status === "resolved") return null;
      var li = el("li", "cs-loc-unlocated cs-loc-unlocated-" + u.status);
      if (u.kind === "reference") {
        li.textContent = u.status === "pending" ? live.fmt(T.refPending, {uri: u.text})
          : live.fmt(T.refFailed, {uri: u.text, reason: T.refReasons[u.reason] || u.reason || "?"});
      } else {
        li.textContent = live.fmt(T.civicFailed, {text: u.text});
      }
      return li;
    }

    function hintItem(h) {
      var li = el("li", "cs-loc-hint");
      li.appendChild(el("span", null, live.fmt(T.hint, {age: ageOf(h.age_seconds), ticket: h.ticket}) + " "));
      li.appendChild(el("span", "cs-small", coords(h.location) + " " + radius(h.location) + " · " +
        sourceName(h.location.source) + (h.location.label ? " · " + h.location.label : "")));
      var use = el("button", "button cs-button-secondary cs-small", T.useHint);
      use.type = "button";
      use.dataset.useHint = h.ticket;
      li.appendChild(document.createTextNode(" "));
      li.appendChild(use);
      return li;
    }

    return {el: el, age: age, coords: coords, radius: radius, sourceName: sourceName, distance: distance,
            bestLine: bestLine, areaLine: areaLine, sourceItem: sourceItem, unlocatedItem: unlocatedItem,
            hintItem: hintItem};
  };
})();

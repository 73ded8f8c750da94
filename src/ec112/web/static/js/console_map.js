/* ec112 console: the offline map of a ticket card (Leaflet, vendored; nothing from the internet).

   Useful without any tile server: the regency's kecamatan and desa boundaries with their names (kecamatan
   always, desa once zoomed in), the neighbouring kabupaten outlined and named, the agencies' posts, every
   location source of the ticket with its uncertainty circle (a colour per source, a legend, the best one
   emphasised, a popup each) and the best one's pin. With [web] map_tile_url set, the tiles go under all that.
   The boundaries and posts (/api/geo/boundaries, /api/geo/posts) are read once per page and shared by every map.

   window.ec112Map.create(box, {texts, onClick}) -> {map, show(data), pin(latlng), unpin(), remove()}:
   show(data) draws the sources of a GET /api/tickets/{number}/locations answer; pin(latlng) puts the call
   taker's own draggable pin (onPinMoved(latlng) when she drags it). */
(function () {
  "use strict";
  var COLOURS = {"aml": "#1b7f3b", "pidf-lo": "#b3121b", "pidf-lo-ref": "#c75d00", "civic": "#6a3d9a",
                 "manual": "#0b5cad", "gazetteer": "#00838f"};
  var DESA_LABEL_ZOOM = 13; // desa names from this zoom on (a desa of a few km is then a few hundred pixels)
  var geoData = null; // Promise of {boundaries, posts}, once per page

  function getJSON(url) {
    return fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}}).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  function geo() {
    if (!geoData) {
      geoData = Promise.all([getJSON("/api/geo/boundaries"), getJSON("/api/geo/posts")]).then(function (both) {
        return {boundaries: both[0], posts: both[1]};
      });
      geoData.catch(function () { geoData = null; }); // read again by the next map
    }
    return geoData;
  }

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function colour(source) { return COLOURS[source] || "#444"; }

  // A name on the map: a non-interactive label (a div marker, so that the text is real text of the page).
  function label(latlng, text, level) {
    return L.marker(latlng, {interactive: false, keyboard: false, icon: L.divIcon({
      className: "cs-map-label cs-map-label-" + level, iconSize: null, html: "<span>" + esc(text) + "</span>"})});
  }

  function labelPoint(feature, layer) {
    var p = feature.properties || {};
    if (Array.isArray(p.label) && p.label.length === 2) return L.latLng(p.label[1], p.label[0]);
    return layer.getBounds().getCenter();
  }

  var STYLES = {
    // land over a sea-blue background (css): the coast reads at once; the neighbours a shade darker
    kabupaten: {color: "#8a8f98", weight: 2, dashArray: "6 4", fillColor: "#e4e2d6", fillOpacity: 1},
    regency: {color: "#3d4650", weight: 3, fillColor: "#f8f6ee", fillOpacity: 1},
    kecamatan: {color: "#3d4650", weight: 2.5, fill: false},
    desa: {color: "#9aa3ad", weight: 1, dashArray: "2 3", fill: false}
  };

  // The boundary layers of a map: outlines (never clickable: the map's click drops her pin) and their names.
  function drawBoundaries(map, collection, tiled) {
    var names = {kabupaten: L.layerGroup(), kecamatan: L.layerGroup(), desa: L.layerGroup()};
    var regency = L.latLngBounds([]);
    var regencyCodes = {}; // the kabupaten whose kecamatan the file holds: the regency itself
    collection.features.forEach(function (f) {
      var p = f.properties || {};
      if (p.level === "kecamatan" && p.parent) regencyCodes[p.parent] = true;
    });
    ["kabupaten", "desa", "kecamatan"].forEach(function (level) { // kecamatan lines over the desa ones
      L.geoJSON(collection, {
        interactive: false,
        filter: function (f) { return f.properties && f.properties.level === level; },
        style: function (f) {
          var own = level === "kabupaten" && regencyCodes[f.properties.code];
          var style = L.extend({interactive: false, className: "cs-map-area cs-map-" + level},
                               STYLES[own ? "regency" : level]);
          if (tiled && level === "kabupaten") style.fillOpacity = 0.05; // the tiles show the land
          return style;
        },
        onEachFeature: function (feature, layer) {
          names[level].addLayer(label(labelPoint(feature, layer), feature.properties.name, level));
          if (level === "kecamatan") regency.extend(layer.getBounds());
        }
      }).addTo(map);
    });
    names.kabupaten.addTo(map);
    names.kecamatan.addTo(map);
    function desaNames() {
      if (map.getZoom() >= DESA_LABEL_ZOOM) names.desa.addTo(map); else names.desa.remove();
    }
    map.on("zoomend", desaNames);
    desaNames();
    return regency;
  }

  // The posts: a dot at each place, the short names of the agencies there under it (several agencies often
  // share a building: one marker, so that no name hides another).
  function drawPosts(map, posts) {
    var places = {};
    posts.forEach(function (p) {
      var key = p.lat.toFixed(5) + "," + p.lon.toFixed(5);
      (places[key] = places[key] || []).push(p);
    });
    Object.keys(places).forEach(function (key) {
      var here = places[key];
      L.marker([here[0].lat, here[0].lon], {keyboard: false,
        title: here.map(function (p) { return p.agency_name + " · " + p.post; }).join("\n"),
        icon: L.divIcon({className: "cs-map-post", iconSize: null, html: "<i></i><span>" +
          here.map(function (p) { return esc(p.agency_name); }).join("<br>") + "</span>"})})
        .bindPopup(here.map(function (p) { return "<strong>" + esc(p.agency_name) + "</strong> " + esc(p.post); })
          .join("<br>")).addTo(map);
    });
  }

  function create(box, options) {
    var T = options.texts;
    var tiles = box.dataset.tileUrl;
    var map = L.map(box, {attributionControl: !!tiles, scrollWheelZoom: false, keyboard: true, zoomSnap: 0.5});
    map.setView([-1.1, 116.6], 10); // the regency of the shipped boundaries until they are read
    if (tiles) L.tileLayer(tiles, {attribution: box.dataset.attribution, maxZoom: 19}).addTo(map);
    L.control.scale({imperial: false}).addTo(map);
    var sources = L.featureGroup().addTo(map);
    var legend = L.control({position: "bottomleft"});
    legend.onAdd = function () { return L.DomUtil.create("div", "cs-map-legend"); };
    legend.addTo(map);
    var regency = null;
    var last = null; // the last data shown
    var framed = false; // the view was set to the sources once: later updates leave her view alone
    var ownPin = null;
    var removed = false;
    var lastBest = null;
    var pendingFrame = false;

    geo().then(function (g) {
      if (removed) return;
      regency = drawBoundaries(map, g.boundaries, !!tiles);
      drawPosts(map, g.posts);
      sources.bringToFront();
      if (!framed) frame();
    }, function () { /* no boundaries: the sources alone */ });

    map.on("click", function (event) { if (options.onClick) options.onClick(event.latlng); });
    function far() { box.classList.toggle("cs-map-far", map.getZoom() < DESA_LABEL_ZOOM); } // posts: dots only
    map.on("zoomend", far);
    far();

    function frame() {
      if (!box.offsetWidth) { // a hidden card: framed when it is shown (Leaflet needs the size)
        pendingFrame = true;
        return;
      }
      if (last && last.reports && last.reports.length) {
        var best = last.best;
        // the best location with its circle and enough around it to read the desa names
        var around = best ? L.latLng(best.lat, best.lon).toBounds(Math.max((best.radius_m || 0) * 2.5, 1500))
          : sources.getBounds();
        map.fitBounds(around, {padding: [16, 16], maxZoom: 17});
        framed = true;
      } else if (regency && regency.isValid()) {
        map.fitBounds(regency, {padding: [8, 8]});
      }
    }

    function popup(loc) {
      var rows = [T.sourceLabels[loc.source] || loc.source];
      if (loc.method) rows.push(esc(T.method) + ": " + esc(loc.method));
      rows.push(loc.radius_m != null ? "± " + Math.round(loc.radius_m) + " m" : esc(T.radiusUnknown));
      if (loc.label) rows.push(esc(loc.label));
      rows.push(esc(options.age(loc.observed_at)));
      return "<strong>" + esc(rows[0]) + (loc.best ? " · " + esc(T.bestTag) : "") + "</strong><br>" +
        rows.slice(1).join("<br>");
    }

    function show(data) {
      last = data;
      sources.clearLayers();
      var seen = {};
      var reports = (data.reports || []).slice().reverse(); // oldest first: the newest drawn on top
      reports.forEach(function (loc) {
        var c = colour(loc.source);
        // The circle is not clickable (a click in it drops her pin, even in a kecamatan-wide one); its centre
        // dot opens the popup.
        if (loc.radius_m) {
          sources.addLayer(L.circle([loc.lat, loc.lon], {radius: loc.radius_m, color: c, fillColor: c,
            weight: loc.best ? 3.5 : 1.5, fillOpacity: loc.best ? 0.18 : 0.06, dashArray: loc.best ? null : "4 3",
            interactive: false,
            className: "cs-map-source cs-map-source-" + loc.source + (loc.best ? " cs-map-source-best" : "")}));
        }
        sources.addLayer(L.circleMarker([loc.lat, loc.lon], {radius: loc.radius_m ? 4 : 6, color: "#fff", weight: 1.5,
          fillColor: c, fillOpacity: 1, className: "cs-map-dot cs-map-dot-" + loc.source}).bindPopup(popup(loc)));
        seen[loc.source] = true;
      });
      if (data.best) {
        sources.addLayer(L.marker([data.best.lat, data.best.lon], {keyboard: false,
          title: T.bestTag, icon: new L.Icon.Default({className: "cs-map-best-pin"})}).bindPopup(popup(data.best)));
      }
      legend.getContainer().innerHTML = Object.keys(seen).map(function (s) {
        return '<span class="cs-map-legend-item"><i style="background:' + colour(s) + '"></i>' +
          esc(T.sourceLabels[s] || s) + "</span>";
      }).join("");
      legend.getContainer().hidden = !Object.keys(seen).length;
      var bestId = data.best ? data.best.id + ":" + data.best.lat + ":" + data.best.lon : null;
      if (!framed || (bestId !== lastBest && !ownPin)) frame(); // a new best location: shown, unless she pins
      lastBest = bestId;
    }

    function pin(latlng) {
      if (!ownPin) {
        ownPin = L.marker(latlng, {draggable: true, keyboard: false, title: T.pinTitle,
                                   icon: new L.Icon.Default({className: "cs-map-own-pin"})}).addTo(map);
        ownPin.on("dragend", function () { if (options.onPinMoved) options.onPinMoved(ownPin.getLatLng()); });
      } else {
        ownPin.setLatLng(latlng);
      }
    }

    function unpin() {
      if (ownPin) ownPin.remove();
      ownPin = null;
    }

    return {map: map, show: show, pin: pin, unpin: unpin, colour: colour,
            refit: function () {
              map.invalidateSize();
              if (pendingFrame) { pendingFrame = false; frame(); }
            },
            remove: function () { removed = true; map.remove(); }};
  }

  window.ec112Map = {create: create, colour: colour, geo: geo};
})();

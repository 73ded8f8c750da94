/* ec112 console: the location section of a ticket card (templates/console_ticket.html) and its map.

   Reads GET /api/tickets/{number}/locations and shows the best location (with its kecamatan and desa, or where
   outside the regency it is), every source, the reports that could not be placed, and the previous locations of
   the same number as hints she may use (never applied by themselves). Her own location: a pin she drops on the
   map (or drags) and confirms, or a place she types and picks from the offline gazetteer (/api/geo/places):
   each is POSTed as a location source of the ticket. The proposed agencies of the dispatch section get their
   nearest post from the same answer.
   Live: an SSE `location` event reads the section again, and only the section and the map: the card, the
   classification form and what she typed stay (the console's rule, console.js).

   console.js makes one with window.ec112Location({messages, lang}) and calls attach(card element) -> {show,
   remove, busy}, onEvent(event data), posts(card element). */
(function () {
  "use strict";
  var live = window.ec112Live;
  var DEBOUNCE_MS = 200;
  var PLACES = 8;

  window.ec112Location = function (ctx) {
    var M = ctx.messages;
    var T = M.location;
    var lang = ctx.lang || "id";
    var km = new Intl.NumberFormat(lang, {maximumFractionDigits: 1, minimumFractionDigits: 1});
    var relative = new Intl.RelativeTimeFormat(lang, {numeric: "auto"});
    var controllers = new Map(); // card element -> controller
    var texts = {expired: M.sessionEnded, failed: M.notDone, offline: M.offline};

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

    function areaLine(jur) {
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
        if (jur.desa) parts.push(live.fmt(T.desa, {name: jur.desa.name}));
        p.textContent = parts.join(" · ");
        if (jur.border_with && jur.border_with.length) {
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
          : live.fmt(T.refFailed, {uri: u.text, reason: u.reason || "?"});
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

    // Every report says whether it is the best one (the API's "best" flag, else the same place, source and time).
    function marked(answer) {
      var b = answer.best;
      (answer.reports || []).forEach(function (loc) {
        if (typeof loc.best === "boolean") return;
        loc.best = !!b && (b.id != null ? b.id === loc.id : b.lat === loc.lat && b.lon === loc.lon &&
          b.source === loc.source && b.observed_at === loc.observed_at);
      });
      return answer;
    }

    // --- one card ---------------------------------------------------------------------------------------------
    function attach(card) {
      var section = card.querySelector('[data-role="location"]');
      if (!section) return null;
      var number = card.dataset.number;
      var box = section.querySelector(".cs-ticket-map");
      var part = function (role) { return section.querySelector('[data-role="' + role + '"]'); };
      var data = null;
      var mapView = null;
      var pinned = null; // her pin, not yet confirmed
      var ctl;

      function render() {
        if (!data) return;
        var best = part("location-best");
        best.replaceChildren();
        if (data.best) {
          best.appendChild(bestLine(data.best));
        } else {
          var none = el("p", "alert cs-no-location");
          none.appendChild(el("strong", null, M.location.none));
          none.appendChild(document.createTextNode(" " + M.location.askCaller));
          best.appendChild(none);
        }
        part("location-area").replaceChildren(data.best && data.jurisdiction ? areaLine(data.jurisdiction) : "");
        var colour = window.ec112Map ? window.ec112Map.colour : function () { return "#444"; };
        var list = part("location-sources");
        list.replaceChildren.apply(list, (data.reports || []).map(function (loc) { return sourceItem(loc, colour); }));
        part("location-sources-box").hidden = !(data.reports || []).length;
        var unl = (data.unlocated || []).map(unlocatedItem).filter(Boolean);
        part("location-unlocated").replaceChildren.apply(part("location-unlocated"), unl);
        part("location-unlocated").hidden = !unl.length;
        var hints = (data.hints || []).map(hintItem);
        part("location-hints").replaceChildren.apply(part("location-hints"), hints);
        part("location-hints-box").hidden = !hints.length;
        if (mapView) mapView.show(data);
        fillPosts();
      }

      // The proposed agencies of the dispatch section: each its nearest post and the distance to it.
      function fillPosts() {
        var posts = (data && data.jurisdiction && data.jurisdiction.nearest_posts) || [];
        card.querySelectorAll("[data-post-for]").forEach(function (span) {
          var post = posts.filter(function (p) { return p.agency === span.dataset.postFor; })[0];
          span.textContent = post ? live.fmt(T.nearestPost, {post: post.post, distance: distance(post.distance_m)}) : "";
          span.hidden = !post;
        });
      }

      var refresh = live.serial(function () {
        return fetch("/api/tickets/" + encodeURIComponent(number) + "/locations",
                     {credentials: "same-origin", headers: {"Accept": "application/json"}})
          .then(function (r) {
            if (!r.ok) throw new Error("HTTP " + r.status);
            return r.json();
          })
          .then(function (answer) {
            if (!card.isConnected && controllers.get(card) !== ctl) return;
            data = marked(answer);
            render();
          });
      });

      function say(text, isError) { live.say(section, "location-message", text, isError, "cs-is-error"); }

      function add(body) {
        var controls = section.querySelectorAll("button, input, select");
        controls.forEach(function (c) { c.disabled = true; });
        say(M.sending, false);
        return live.post("/api/tickets/" + encodeURIComponent(number) + "/locations", body, texts)
          .then(function () {
            say(T.added, false);
            return true;
          }, function (error) {
            say(error.message, true);
            return false;
          })
          .then(function (ok) {
            controls.forEach(function (c) { c.disabled = false; });
            refresh(number);
            return ok;
          });
      }

      // --- her pin --------------------------------------------------------------------------------------------
      function dropPin(latlng) {
        pinned = latlng;
        if (mapView) mapView.pin(latlng);
        part("location-pin").hidden = false;
        part("location-pin-coords").textContent = coords({lat: latlng.lat, lon: latlng.lng});
      }
      function clearPin() {
        pinned = null;
        if (mapView) mapView.unpin();
        part("location-pin").hidden = true;
      }

      // --- the place search (a combobox over the gazetteer) -------------------------------------------------
      var input = section.querySelector('[data-role="place-input"]');
      var listbox = section.querySelector('[data-role="place-list"]');
      var places = [];
      var active = -1;
      var timer = null;
      var asked = 0;

      function closeList() {
        places = [];
        active = -1;
        listbox.replaceChildren();
        listbox.hidden = true;
        input.setAttribute("aria-expanded", "false");
        input.removeAttribute("aria-activedescendant");
      }
      function highlight(i) {
        active = i;
        Array.prototype.forEach.call(listbox.children, function (li, n) {
          li.setAttribute("aria-selected", n === i ? "true" : "false");
        });
        if (i >= 0) input.setAttribute("aria-activedescendant", listbox.children[i].id);
        else input.removeAttribute("aria-activedescendant");
      }
      function suggest() {
        var q = input.value.trim();
        var mine = ++asked;
        if (q.length < 2) { closeList(); return; }
        fetch("/api/geo/places?q=" + encodeURIComponent(q) + "&limit=" + PLACES,
              {credentials: "same-origin", headers: {"Accept": "application/json"}})
          .then(function (r) { return r.ok ? r.json() : []; }, function () { return []; })
          .then(function (found) {
            if (mine !== asked) return; // she typed on meanwhile
            closeList();
            places = found || [];
            if (!places.length) {
              listbox.appendChild(el("li", "cs-place-none muted", T.noPlace));
            }
            places.forEach(function (p, i) {
              var li = el("li", "cs-place-option");
              li.id = input.id + "-option-" + i;
              li.setAttribute("role", "option");
              li.setAttribute("aria-selected", "false");
              li.dataset.index = String(i);
              li.appendChild(el("strong", null, p.name));
              li.appendChild(el("span", "muted cs-small", " · " + [p.kind, p.context].filter(Boolean).join(" · ") +
                " · ± " + distance(p.radius_m)));
              listbox.appendChild(li);
            });
            listbox.hidden = false;
            input.setAttribute("aria-expanded", places.length ? "true" : "false");
          });
      }
      function pick(i) {
        var p = places[i];
        if (!p) return;
        closeList();
        add({source: "gazetteer", lat: p.lat, lon: p.lon, radius_m: p.radius_m, label: p.name}).then(function (ok) {
          if (ok) input.value = "";
        });
      }
      input.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(suggest, DEBOUNCE_MS);
      });
      input.addEventListener("keydown", function (event) {
        if (event.key === "ArrowDown" || event.key === "ArrowUp") {
          event.preventDefault();
          if (!places.length) return;
          var step = event.key === "ArrowDown" ? 1 : -1;
          highlight((active + step + places.length) % places.length);
        } else if (event.key === "Enter") {
          event.preventDefault(); // never submits anything else
          if (active >= 0) pick(active); else if (places.length === 1) pick(0);
        } else if (event.key === "Escape") {
          closeList();
        }
      });
      input.addEventListener("blur", function () { setTimeout(function () { if (!listbox.contains(document.activeElement)) closeList(); }, 200); });
      listbox.addEventListener("mousedown", function (event) { event.preventDefault(); }); // keep the focus in the input
      listbox.addEventListener("click", function (event) {
        var li = event.target.closest("[data-index]");
        if (li) pick(Number(li.dataset.index));
      });

      section.addEventListener("click", function (event) {
        var target = event.target.closest("button");
        if (!target || !section.contains(target)) return;
        if (target.dataset.role === "pin-confirm" && pinned) {
          var r = Number(part("location-pin-radius").value) || 50;
          var text = part("location-pin-label").value.trim() || T.pinLabel;
          add({source: "manual", lat: pinned.lat, lon: pinned.lng, radius_m: r, label: text}).then(function (ok) {
            if (ok) {
              clearPin();
              part("location-pin-label").value = "";
            }
          });
        } else if (target.dataset.role === "pin-centre" && mapView) { // without a mouse: pan with the arrows, then this
          dropPin(mapView.map.getCenter());
        } else if (target.dataset.role === "pin-cancel") {
          clearPin();
        } else if (target.dataset.useHint) {
          var h = (data.hints || []).filter(function (x) { return x.ticket === target.dataset.useHint; })[0];
          if (h) {
            add({source: "manual", lat: h.location.lat, lon: h.location.lon, radius_m: h.location.radius_m || 50,
                 label: live.fmt(T.hintLabel, {ticket: h.ticket})});
          }
        }
      });

      ctl = {
        show: function () {
          if (mapView) { mapView.refit(); return; }
          if (!box || !window.L || !window.ec112Map) return;
          mapView = window.ec112Map.create(box, {texts: T, age: age, onClick: dropPin, onPinMoved: dropPin});
          if (data) mapView.show(data);
          else if (box.dataset.lat) {
            var loc = {lat: Number(box.dataset.lat), lon: Number(box.dataset.lon), source: box.dataset.source,
                       radius_m: box.dataset.radius === "" ? null : Number(box.dataset.radius),
                       method: box.dataset.method || null, observed_at: box.dataset.observed, best: true};
            mapView.show({best: loc, reports: [loc]}); // the ticket's own location until the sources are read
          }
        },
        remove: function () {
          if (mapView) mapView.remove();
          mapView = null;
          controllers.delete(card);
        },
        busy: function () { return !!pinned || !!input.value.trim(); },
        refresh: function () { refresh(number); },
        announce: function (best) {
          part("location-announce").textContent = best ? live.fmt(T.announce, {source: sourceName(best.source),
            radius: radius(best)}) : "";
        },
        fillPosts: fillPosts
      };
      controllers.set(card, ctl);
      refresh(number);
      return ctl;
    }

    return {
      attach: attach,
      // An SSE `location` event: the sections of that ticket read again (nothing else of the card).
      onEvent: function (d) {
        controllers.forEach(function (ctl, card) {
          var number = d.ticket || d.number;
          if (card.dataset.number !== number && Number(card.dataset.ticketId) !== Number(d.ticket_id)) return;
          ctl.refresh();
          if (!card.hidden) ctl.announce(d.best);
        });
      },
      // The stream (re)connected: events may have been missed meanwhile.
      refreshAll: function () { controllers.forEach(function (ctl) { ctl.refresh(); }); },
      posts: function (card) {
        var ctl = controllers.get(card);
        if (ctl) ctl.fillPosts();
      }
    };
  };
})();

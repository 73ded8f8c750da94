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

  window.ec112Location = function (ctx) {
    var M = ctx.messages;
    var T = M.location;
    var lang = ctx.lang || "id";
    var controllers = new Map(); // card element -> controller
    var texts = {expired: M.sessionEnded, failed: M.notDone, offline: M.offline};

    var V = window.ec112LocationView(T, lang); // how each thing is said (console_location_view.js)
    var age = V.age;
    var coords = V.coords;
    var distance = V.distance;
    var el = V.el;
    var sourceName = V.sourceName;
    var radius = V.radius;

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
          best.appendChild(V.bestLine(data.best));
        } else {
          var none = el("p", "alert cs-no-location");
          none.appendChild(el("strong", null, M.location.none));
          none.appendChild(document.createTextNode(" " + M.location.askCaller));
          best.appendChild(none);
        }
        part("location-area").replaceChildren(data.best && data.jurisdiction ? V.areaLine(data.jurisdiction, data.best) : "");
        var colour = window.ec112Map ? window.ec112Map.colour : function () { return "#444"; };
        var list = part("location-sources");
        list.replaceChildren.apply(list, (data.reports || []).map(function (loc) {
          return V.sourceItem(loc, colour);
        }));
        part("location-sources-box").hidden = !(data.reports || []).length;
        var unl = (data.unlocated || []).map(V.unlocatedItem).filter(Boolean);
        part("location-unlocated").replaceChildren.apply(part("location-unlocated"), unl);
        part("location-unlocated").hidden = !unl.length;
        var hints = (data.hints || []).map(V.hintItem);
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
          span.textContent = post
            ? live.fmt(T.nearestPost, {post: post.post, distance: distance(post.distance_m)}) : "";
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

      // --- the place search (console_places.js) ------------------------------------------------------------
      var input = section.querySelector('[data-role="place-input"]');
      window.ec112PlaceSearch(input, section.querySelector('[data-role="place-list"]'), {
        noPlace: T.noPlace, distance: distance,
        pick: function (p) {
          add({source: "gazetteer", lat: p.lat, lon: p.lon, radius_m: p.radius_m, label: p.name}).then(function (ok) {
            if (ok) input.value = "";
          });
        }
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

/* ec112 console: the place search of a ticket card's location section, a combobox over the offline gazetteer
   (GET /api/geo/places?q=): suggestions while she types (debounced), chosen with the arrow keys and Enter (or
   a click); Escape closes the list. ARIA 1.2 combobox: the input keeps the focus, aria-activedescendant
   points at the highlighted option.

   window.ec112PlaceSearch(input, listbox, {pick(place), noPlace, distance(metres)}). */
(function () {
  "use strict";
  var DEBOUNCE_MS = 200;
  var PLACES = 8;

  function el(tag, className, text) {
    var e = document.createElement(tag);
    if (className) e.className = className;
    if (text != null) e.textContent = text;
    return e;
  }

  window.ec112PlaceSearch = function (input, listbox, options) {
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
            listbox.appendChild(el("li", "cs-place-none muted", options.noPlace));
          }
          places.forEach(function (p, i) {
            var li = el("li", "cs-place-option");
            li.id = input.id + "-option-" + i;
            li.setAttribute("role", "option");
            li.setAttribute("aria-selected", "false");
            li.dataset.index = String(i);
            li.appendChild(el("strong", null, p.name));
            li.appendChild(el("span", "muted cs-small", " · " + [p.kind, p.context].filter(Boolean).join(" · ") +
              " · ± " + options.distance(p.radius_m)));
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
      options.pick(p);
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
    input.addEventListener("blur", function () {
      setTimeout(function () { if (!listbox.contains(document.activeElement)) closeList(); }, 200);
    });
    listbox.addEventListener("mousedown", function (event) { event.preventDefault(); }); // keep the focus in the input
    listbox.addEventListener("click", function (event) {
      var li = event.target.closest("[data-index]");
      if (li) pick(Number(li.dataset.index));
    });
  };
})();

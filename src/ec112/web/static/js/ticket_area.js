/* ec112 ticket page (/tickets/{number}): the kecamatan and desa of the ticket's best location, read from
   /api/tickets/{number}/locations (its jurisdiction); the texts come translated in the element's data-*. */
(function () {
  "use strict";
  var dd = document.getElementById("ticket-area");
  if (!dd) return;
  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_m, key) { return values[key] == null ? "" : values[key]; });
  }
  fetch(dd.dataset.locations, {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) {
      var j = data && data.jurisdiction;
      if (!j) return;
      var d = dd.dataset;
      if (!j.kabupaten) { dd.textContent = d.sea; return; }
      if (!j.inside_regency) { dd.textContent = fmt(d.outside, {name: j.kabupaten.name}); return; }
      var parts = [];
      var wide = !!data.best && data.best.radius_m > 5000; // a kecamatan-wide guess names no desa (as the console)
      if (j.kecamatan) parts.push(fmt(d.kecamatan, {name: j.kecamatan.name}));
      if (j.desa && !wide) parts.push(fmt(d.desa, {name: j.desa.name}));
      if (j.border_with && j.border_with.length && !wide) {
        parts.push(fmt(d.border, {names: j.border_with.map(function (a) { return a.name; }).join(", ")}));
      }
      dd.textContent = parts.join(" · ");
    }, function () { /* stays "—" */ });
})();

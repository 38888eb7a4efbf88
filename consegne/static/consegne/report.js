// Delivery pages: progress polling, the map of findings linked to the table, the side-by-side review maps.
(function () {
  "use strict";
  const COLORS = { errore: "#b00020", avviso: "#b26a00", info: "#49708a" };
  const LAYER_COLORS = {
    consumo_suolo: "#bbbbbb", aree_agricole: "#7fbf3f", tessuto_urbano_consolidato: "#e07b39",
    ambiti_trasformazione: "#c2185b", ambiti_rigenerazione: "#6a1b9a", aree_dismesse: "#455a64",
  };

  function baseMap(el) {
    const map = L.map(el, { zoomControl: true }).setView([45.46, 9.19], 10);
    map.attributionControl.addAttribution("Remix · CMM");
    return map;
  }

  function load(url) { return fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }); }

  // Progress: poll until the validation is over, then reload to show the report.
  const progress = document.getElementById("progress");
  if (progress && !progress.hidden) {
    const bar = progress.querySelector("progress");
    const step = document.getElementById("progress-step");
    const tick = function () {
      load(progress.dataset.statusUrl).then(function (s) {
        bar.value = s.progress; step.textContent = s.step;
        document.getElementById("state").textContent = s.state_label;
        if (s.done) { window.location.reload(); } else { setTimeout(tick, 700); }
      });
    };
    tick();
  }

  // Report map: each located finding; clicking a row zooms to it, clicking a shape selects the row.
  const reportEl = document.getElementById("map");
  if (reportEl && reportEl.dataset.url) {
    const map = baseMap(reportEl);
    const byId = {};
    load(reportEl.dataset.url).then(function (fc) {
      const layer = L.geoJSON(fc, {
        style: function (f) { return { color: COLORS[f.properties.severity], weight: 2, fillOpacity: 0.35 }; },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 6, color: COLORS[f.properties.severity], fillOpacity: 0.8 });
        },
        onEachFeature: function (f, l) {
          byId[f.properties.id] = l;
          l.on("click", function () { select(f.properties.id, false); });
        },
      }).addTo(map);
      if (fc.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 16 }); }
      reportEl.dataset.loaded = String(fc.features.length);
    });
    function select(id, zoom) {
      document.querySelectorAll("#findings tr.selected").forEach(function (tr) { tr.classList.remove("selected"); });
      const row = document.querySelector('#findings tr[data-finding="' + id + '"]');
      if (row) { row.classList.add("selected"); if (!zoom) { row.scrollIntoView({ block: "nearest" }); } }
      const l = byId[id];
      if (l && zoom) { map.fitBounds(l.getBounds ? l.getBounds() : L.latLngBounds([l.getLatLng()]), { maxZoom: 17 }); }
    }
    document.querySelectorAll("#findings tr[data-finding]").forEach(function (tr) {
      tr.addEventListener("click", function () { select(tr.dataset.finding, true); });
    });
  }

  // Review: the bozza and the version in force side by side, with synchronised views.
  const maps = [];
  ["map-new", "map-old"].forEach(function (id) {
    const el = document.getElementById(id);
    if (!el) { return; }
    const map = baseMap(el);
    maps.push(map);
    if (!el.dataset.url) { el.dataset.loaded = "0"; return; }
    load(el.dataset.url).then(function (fc) {
      const layer = L.geoJSON(fc, {
        style: function (f) { return { color: LAYER_COLORS[f.properties.layer] || "#333", weight: 1, fillOpacity: 0.4 }; },
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.layer + " · " + f.properties.key); },
      }).addTo(map);
      if (fc.features.length) { map.fitBounds(layer.getBounds()); }
      el.dataset.loaded = String(fc.features.length);
    });
  });
  if (maps.length === 2) {
    let syncing = false;
    maps.forEach(function (m, i) {
      m.on("moveend", function () {
        if (syncing) { return; }
        syncing = true; maps[1 - i].setView(m.getCenter(), m.getZoom(), { animate: false }); syncing = false;
      });
    });
  }
})();

// Delivery pages: progress polling, the map of findings linked to the table, the side-by-side review maps.
import { getJSON } from "../remix/http.js";

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

function load(url) { return getJSON(url, { accept: "application/geo+json, application/json", lang: false }); }

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
    }).catch(function () { setTimeout(tick, 2000); });  // the server is busy or restarting: ask again
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

// Review: the bozza and the version in force side by side as vector tiles (an act may have 50,000+
// polygons), fitted to their extents without downloading them, with synchronised views. With a
// version in force, features added or modified by the bozza stand out on the bozza's map, features it
// modifies or removes on the map of the version in force.
const CHANGE_COLORS = { added: "#0d47a1", modified: "#ff6f00", removed: "#000000" };
// Leaflet.VectorGrid 1.3's canvas tiles call L.DomEvent.fakeStop on a feature click, gone since Leaflet 1.8
// (VectorGrid issue #274): nothing to do there now, as Leaflet 1.9 canvases carry _leaflet_disable_events
// and the map no longer handles their events a second time.
if (window.L && L.DomEvent && !L.DomEvent.fakeStop) { L.DomEvent.fakeStop = function () {}; }
const changesEl = document.getElementById("review-changes");
const CHANGE_LABELS = changesEl ? JSON.parse(changesEl.textContent) : {};

function featureStyle(p) {
  const color = LAYER_COLORS[p.layer] || "#333";
  const emphasis = CHANGE_COLORS[p.change];
  if (emphasis) {
    return { color: emphasis, weight: 2.5, fill: true, fillColor: color, fillOpacity: 0.6,
             dashArray: p.change === "removed" ? "4 3" : null };
  }
  // Unchanged features fade when there is something to compare against.
  return { color: color, weight: 0.8, fill: true, fillColor: color, fillOpacity: p.change ? 0.15 : 0.4 };
}

function popupText(p) {
  const text = p.layer + " · " + p.feature_key;
  return p.change ? text + " · " + (CHANGE_LABELS[p.change] || p.change) : text;
}

document.querySelectorAll("#review-legend li").forEach(function (li) {
  const swatch = li.querySelector(".swatch");
  if (li.dataset.layer) { swatch.style.background = LAYER_COLORS[li.dataset.layer] || "#333"; }
  if (li.dataset.change) { swatch.style.border = "2.5px " + (li.dataset.change === "removed" ? "dashed " : "solid ") +
                                                 CHANGE_COLORS[li.dataset.change]; }
});

const maps = [], grids = [];
let bounds = null;
["map-new", "map-old"].forEach(function (id) {
  const el = document.getElementById(id);
  if (!el) { return; }
  const map = baseMap(el);
  maps.push(map);
  const count = Number(el.dataset.count || 0);
  if (!el.dataset.tiles || !count) { el.dataset.loaded = "0"; return; }
  const b = el.dataset.bbox.split(",").map(Number);  // west, south, east, north (EPSG:4326)
  const extent = L.latLngBounds([b[1], b[0]], [b[3], b[2]]);
  bounds = bounds ? bounds.extend(extent) : extent;
  const grid = L.vectorGrid.protobuf(el.dataset.tiles, {
    rendererFactory: L.canvas.tile, interactive: true, maxNativeZoom: 16,
    vectorTileLayerStyles: { atto: featureStyle },
  });
  grid.on("click", function (e) {
    const text = document.createElement("span");
    text.textContent = popupText(e.layer.properties);  // keys come from the delivered files: never HTML
    L.popup().setLatLng(e.latlng).setContent(text).openOn(map);
  });
  // The first tiles are drawn: say how many features the act has (the browser test waits for it).
  grid.once("load", function () { el.dataset.loaded = String(count); });
  grids.push([grid, map]);
});
// Both maps show both extents (then the grids ask only for the tiles in view).
if (bounds) { maps.forEach(function (m) { m.fitBounds(bounds, { maxZoom: 16, animate: false }); }); }
grids.forEach(function (g) { g[0].addTo(g[1]); });
if (maps.length === 2) {
  let syncing = false;
  maps.forEach(function (m, i) {
    m.on("moveend", function () {
      if (syncing) { return; }
      syncing = true; maps[1 - i].setView(m.getCenter(), m.getZoom(), { animate: false }); syncing = false;
    });
  });
}

// Layer page preview: the first features of the layer drawn with the registry's classification.
import { getJSON } from "../remix/http.js";

const el = document.getElementById("preview-map");
const style = JSON.parse(document.getElementById("preview-style").textContent);
const extent = JSON.parse(document.getElementById("preview-extent").textContent);
const map = L.map(el, { attributionControl: true }).setView([45.46, 9.19], 9);

// Same rules as layers.styles.Classification.classify: half-open ranges, the last one closed.
function classify(props) {
  if (style.kind === "single") { return style.classes[0]; }
  const value = props[style.field];
  if (style.kind === "categorized") {
    const key = value === null || value === undefined ? null : String(value);
    return style.classes.find(function (c) { return c.value === key; }) || style.other;
  }
  const n = value === null || value === undefined || value === "" ? NaN : Number(value);
  if (Number.isNaN(n)) { return style.other; }
  const last = style.classes.length - 1;
  return style.classes.find(function (c, i) {
    return (c.min <= n && n < c.max) || (i === last && n === c.max);
  }) || style.other;
}

function pathStyle(feature) {
  const c = classify(feature.properties);
  if (!c) { return { stroke: false, fill: false }; }
  const s = c.symbol;
  return { color: s.stroke, weight: s.width, fillColor: s.fill, fillOpacity: s.opacity, className: "preview-feature" };
}

// Built as DOM nodes: attribute names and values are data, never inserted as HTML.
function popup(feature) {
  const table = document.createElement("table");
  Object.keys(feature.properties).forEach(function (k) {
    const v = feature.properties[k];
    const tr = table.insertRow();
    const th = document.createElement("th");
    th.textContent = k;
    tr.appendChild(th);
    tr.insertCell().textContent = v === null ? "–" : (Array.isArray(v) ? v.join("; ") : String(v));
  });
  return table;
}

function fitExtent() {
  if (extent) { map.fitBounds([[extent.south, extent.west], [extent.north, extent.east]], { maxZoom: 16 }); }
}

if (el.dataset.kind === "vector") { drawFeatures(); } else { drawExtent(); }

function drawExtent() {
  if (extent) {
    L.rectangle([[extent.south, extent.west], [extent.north, extent.east]], { color: "#d73027", fill: false }).addTo(map);
  }
  fitExtent();
  el.dataset.bounds = map.getBounds().toBBoxString();
  el.dataset.loaded = "0";
}

function drawFeatures() {
  getJSON(el.dataset.url, { accept: "application/geo+json", lang: false })
    .then(function (data) {
      const layer = L.geoJSON(data, {
        style: pathStyle,
        pointToLayer: function (feature, latlng) {
          return L.circleMarker(latlng, Object.assign({ radius: (classify(feature.properties) || { symbol: { radius: 5 } }).symbol.radius }, pathStyle(feature)));
        },
        onEachFeature: function (feature, l) { l.bindPopup(popup(feature)); },
      }).addTo(map);
      // Fitted to the layer's whole data extent (the preview may hold only its first features).
      if (extent) { fitExtent(); } else if (data.features.length) { map.fitBounds(layer.getBounds(), { maxZoom: 16 }); }
      el.dataset.bounds = map.getBounds().toBBoxString();
      el.dataset.loaded = String(data.features.length);
    })
    .catch(function () { el.dataset.loaded = "error"; });
}

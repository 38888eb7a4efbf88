// The Bilancio page's map: the comuni, the proposal of the report, and a polygon tool that fills the form.
import { getJSON } from "../remix/http.js";

const box = document.getElementById("bilancio-map");
if (box && window.L) { setup(box); }

function setup(box) {
  const map = L.map(box, { preferCanvas: true }).setView([45.46, 9.19], 10);
  window.BilancioMap = map;  // for the browser tests only
  getJSON(box.dataset.comuni, { accept: "application/geo+json, application/json" }).then(function (fc) {
    L.geoJSON(fc, { interactive: false, style: { color: "#777", weight: 0.8, fill: false } }).addTo(map);
  });
  const shown = document.getElementById("bilancio-geometry");
  if (shown) {
    const layer = L.geoJSON(JSON.parse(shown.textContent), { style: { color: "#c51b7d", weight: 2 } }).addTo(map);
    map.fitBounds(layer.getBounds(), { maxZoom: 14 });
  }
  const field = document.getElementById("id_geometry");
  if (!field || !L.Control.Draw) { return; }
  const drawn = new L.FeatureGroup().addTo(map);
  map.addControl(new L.Control.Draw({
    draw: { polygon: true, rectangle: true, polyline: false, circle: false, marker: false, circlemarker: false },
    edit: { featureGroup: drawn, remove: true },
  }));
  function sync() {
    const layers = drawn.getLayers();
    field.value = layers.length ? JSON.stringify(layers[layers.length - 1].toGeoJSON().geometry) : "";
  }
  map.on(L.Draw.Event.CREATED, function (e) { drawn.clearLayers(); drawn.addLayer(e.layer); sync(); });
  map.on(L.Draw.Event.EDITED, sync);
  map.on(L.Draw.Event.DELETED, sync);
}

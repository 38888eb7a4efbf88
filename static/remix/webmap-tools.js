// Tools of the planners' map: measure distance and area (click the points, double-click or "Fine" to end).
import { pageLang } from "./http.js";

const lang = pageLang();
const num = new Intl.NumberFormat(lang, { maximumFractionDigits: 2, useGrouping: "always" });
const R = 6378137, D2R = Math.PI / 180;

// Area on the sphere of a lon/lat ring (as Leaflet.draw's geodesicArea), in m².
export function geodesicArea(lls) {
  let area = 0;
  for (let i = 0; i < lls.length; i++) {
    const p1 = lls[i], p2 = lls[(i + 1) % lls.length];
    area += (p2.lng - p1.lng) * D2R * (2 + Math.sin(p1.lat * D2R) + Math.sin(p2.lat * D2R));
  }
  return Math.abs(area * R * R / 2);
}

function length(map, lls) {
  let d = 0;
  for (let i = 1; i < lls.length; i++) { d += map.distance(lls[i - 1], lls[i]); }
  return d;
}

function formatLength(m) { return m >= 1000 ? num.format(m / 1000) + " km" : num.format(Math.round(m)) + " m"; }
function formatArea(m2) { return m2 >= 1e6 ? num.format(m2 / 1e6) + " km²" : num.format(m2 / 1e4) + " ha"; }

const measure = {
  mode: null, points: [], shape: null, map: null, out: null, T: null,
  init: function (map, T) {
    measure.map = map; measure.T = T; measure.out = document.getElementById("measure-result");
    document.getElementById("measure-distance").addEventListener("click", function () { measure.start("distance"); });
    document.getElementById("measure-area").addEventListener("click", function () { measure.start("area"); });
    document.getElementById("measure-end").addEventListener("click", function () { measure.stop(false); });
    map.on("click", function (e) { if (measure.mode) { measure.add(e.latlng); } });
    map.on("dblclick", function () { if (measure.mode) { measure.stop(true); } });
    document.addEventListener("keydown", function (e) { if (e.key === "Escape" && measure.mode) { measure.stop(false); } });
  },
  active: function () { return measure.mode !== null; },
  start: function (mode) {
    measure.clear();
    measure.mode = mode; measure.points = [];
    measure.map.doubleClickZoom.disable();
    measure.map.getContainer().classList.add("measuring");
    document.getElementById("measure-end").hidden = false;
    measure.out.textContent = measure.T.measure_hint; measure.out.dataset.value = "";
  },
  add: function (ll) {
    measure.points.push(ll);
    if (measure.shape) { measure.map.removeLayer(measure.shape); }
    const style = { color: "#d40000", weight: 3, dashArray: "6 4", interactive: false };
    measure.shape = measure.mode === "area" && measure.points.length > 2
      ? L.polygon(measure.points, Object.assign({ fillOpacity: 0.15 }, style)) : L.polyline(measure.points, style);
    measure.shape.addTo(measure.map);
    measure.show();
  },
  show: function () {
    const T = measure.T;
    if (measure.mode === "distance") {
      const d = length(measure.map, measure.points);
      measure.out.textContent = T.measure_distance + ": " + formatLength(d); measure.out.dataset.value = d;
    } else if (measure.points.length > 2) {
      const a = geodesicArea(measure.points);
      measure.out.textContent = T.measure_area + ": " + formatArea(a) + " · " + T.measure_perimeter + ": " +
        formatLength(length(measure.map, measure.points.concat([measure.points[0]])));
      measure.out.dataset.value = a;
    }
  },
  stop: function (keep) {
    measure.mode = null;
    measure.map.doubleClickZoom.enable();
    measure.map.getContainer().classList.remove("measuring");
    document.getElementById("measure-end").hidden = true;
    if (!keep && !measure.points.length) { measure.out.textContent = ""; }
  },
  clear: function () { if (measure.shape) { measure.map.removeLayer(measure.shape); measure.shape = null; } },
};

export { measure };

// Home map: the 133 comuni coloured by zona omogenea, a search that zooms, a card on click.
import { getJSON, pageLang } from "./http.js";

const PALETTE = {
  "adda-martesana": "#1b9e77", "alto-milanese": "#d95f02", "magentino-e-abbiatense": "#7570b3",
  "nord-milano": "#e7298a", "nord-ovest": "#66a61e", "sud-est": "#e6ab02", "sud-ovest": "#a6761d",
  "comune-di-milano": "#444444",
};
const T = JSON.parse(document.getElementById("i18n-strings").textContent);
const mapEl = document.getElementById("map");
const map = L.map(mapEl, { zoomControl: true, attributionControl: true }).setView([45.46, 9.19], 10);
map.attributionControl.addAttribution("© ISTAT CC-BY 4.0");
const osm = L.tileLayer("https://tile.openstreetmap.org/{z}/{x}/{y}.png", {
  maxZoom: 19, attribution: "© OpenStreetMap contributors",
});
const blank = L.layerGroup();
blank.addTo(map);
L.control.layers({ [T.no_basemap]: blank, "OpenStreetMap": osm }, {}, { collapsed: true }).addTo(map);

document.querySelectorAll("[data-zona-swatch]").forEach(function (el) {
  el.style.background = PALETTE[el.dataset.zonaSwatch] || "#999";
});

// Accents, apostrophes and case do not matter: "cassina de pecchi" finds "Cassina de' Pecchi".
function normalise(text) {
  return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[’'`´\-]/g, " ")
    .replace(/\s+/g, " ").trim().toLowerCase();
}

const card = document.getElementById("comune-card");
const fmt = new Intl.NumberFormat(pageLang(), { useGrouping: "always", maximumFractionDigits: 2 });
const byIstat = {};
let selected = null;

function styleFor(props, isSelected) {
  return {
    color: isSelected ? "#000" : "#ffffff", weight: isSelected ? 3 : 1,
    fillColor: PALETTE[props.zona_code] || "#999", fillOpacity: 0.55,
    dashArray: props.zona_confirmed ? null : "4 3",
  };
}

function showCard(props) {
  const set = function (field, value) { card.querySelector('[data-field="' + field + '"]').textContent = value; };
  set("name", props.name);
  set("istat_code", props.istat_code);
  set("zona", props.zona);
  set("zona_note", props.zona_confirmed ? "" : "(" + T.zona_unconfirmed + ")");
  set("population", props.population === null ? "–" : fmt.format(props.population));
  set("population_year", props.population_year || "");
  set("area_km2", fmt.format(props.area_km2));
  set("area_note", "(" + (props.area_official
    ? T.area_official.replace("%(km2)s", fmt.format(props.area_km2_boundaries)) : T.area_computed) + ")");
  set("density", props.density === null || props.density === undefined ? "–" : fmt.format(Math.round(props.density)));
  card.hidden = false;
  card.dataset.istat = props.istat_code;
}

function select(istat, zoom) {
  const layer = byIstat[istat];
  if (!layer) { return; }
  if (selected) { selected.setStyle(styleFor(selected.feature.properties, false)); }
  selected = layer;
  layer.setStyle(styleFor(layer.feature.properties, true));
  layer.bringToFront();
  if (zoom) { map.fitBounds(layer.getBounds(), { maxZoom: 13 }); }
  showCard(layer.feature.properties);
}

getJSON(mapEl.dataset.comuniUrl, { accept: "application/geo+json, application/json" }).then(function (fc) {
  const layer = L.geoJSON(fc, {
    style: function (f) { return Object.assign(styleFor(f.properties, false), { className: "comune" }); },
    onEachFeature: function (f, l) {
      byIstat[f.properties.istat_code] = l;
      const tip = document.createElement("span");  // the name as text: Leaflet would parse a string as HTML
      tip.textContent = f.properties.name;
      l.bindTooltip(tip, { sticky: true });
      l.on("add", function () { l.getElement().setAttribute("data-istat", f.properties.istat_code); });
      l.on("click", function () { select(f.properties.istat_code, false); });
    },
  }).addTo(map);
  map.fitBounds(layer.getBounds(), { animate: false });
  mapEl.dataset.loaded = String(fc.features.length);
  setupSearch(fc.features.map(function (f) { return f.properties; }));
}).catch(function (err) { mapEl.dataset.loaded = "error"; mapEl.title = err.message; });

function setupSearch(comuni) {
  const input = document.getElementById("comune-search");
  const list = document.getElementById("search-results");
  const index = comuni.map(function (c) { return { key: normalise(c.name), props: c }; });
  function choose(props) {
    input.value = props.name;
    list.replaceChildren();
    select(props.istat_code, true);
  }
  function render() {
    const q = normalise(input.value);
    list.replaceChildren();
    if (!q) { return []; }
    const hits = index.filter(function (e) { return e.key.includes(q); })
      .sort(function (a, b) { return (b.key.startsWith(q) - a.key.startsWith(q)) || a.key.localeCompare(b.key); })
      .slice(0, 8);
    if (!hits.length) {
      const li = document.createElement("li");
      li.className = "empty"; li.textContent = T.no_results; list.appendChild(li);
    }
    hits.forEach(function (e) {
      const li = document.createElement("li");
      li.setAttribute("role", "option");
      li.textContent = e.props.name;
      li.addEventListener("click", function () { choose(e.props); });
      list.appendChild(li);
    });
    return hits;
  }
  input.addEventListener("input", render);
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      const hits = render();
      if (hits.length) { choose(hits[0].props); }
    }
  });
}

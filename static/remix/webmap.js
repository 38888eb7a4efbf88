// The planners' map: layer tree, selection by zona/comune, filters, identify, permalink, exports.
import { forget, getJSON, onActivity, pageLang } from "./http.js";
import * as P from "./webmap-panels.js";
import * as Export from "./webmap-export.js";
import * as Tools from "./webmap-tools.js";

const CFG = JSON.parse(document.getElementById("webmap-config").textContent);
const T = CFG.strings;
const root = document.getElementById("webmap");
const API = root.dataset.api, TILES = root.dataset.tiles;
const FILTERS = ["programme", "funding_source", "status", "domain", "year", "amount_min", "amount_max"];
const state = { layers: new Set(), zona: "", comune: "", filters: {}, compare: "" };
const layers = {};           // slug -> registry entry (from /api/strati)
const drawn = {};            // slug -> Leaflet layer on the map
let comuniFc = null, ready = false;

// The Leaflet map, imported by the other panels of the page (indicatori, incontri).
export const map = L.map("map", { preferCanvas: true, zoomControl: true, maxZoom: 19 }).setView([45.46, 9.19], 10);
// Handles for the browser tests and bench/b_map_browser.py only: no script of the page reads them.
window.RemixMap = map;
window.RemixDrawn = drawn;  // slug -> Leaflet layer drawn (the tests read the clustered markers)
window.RemixTools = Tools;
// Idle signal (bench/b_map_browser.py, browser tests): <html data-remix-busy> counts what is in flight (the page's
// JSON requests through http.js until their body is read, tile layers loading, a move or zoom); when it is back
// to 0 and a frame is painted, <html data-remix-idle> is incremented and a "remix:idle" event fires on document.
let busy = 0, idleSeq = 0;
const busyStep = function (d) {
  busy = Math.max(0, busy + d); document.documentElement.dataset.remixBusy = busy;
  if (busy === 0) { requestAnimationFrame(function () { setTimeout(function () { if (busy === 0) {
    idleSeq += 1; document.documentElement.dataset.remixIdle = idleSeq; document.dispatchEvent(new CustomEvent("remix:idle"));
  } }, 0); }); }
};
onActivity(busyStep);
map.on("movestart", function () { busyStep(1); }).on("moveend", function () { busyStep(-1); });
map.on("layeradd", function (e) {
  const l = e.layer;
  if (!(l instanceof L.GridLayer) || l.remixBusyWatched) { return; }
  l.remixBusyWatched = true;
  l.on("loading", function () { if (!l.remixBusy) { l.remixBusy = true; busyStep(1); } });
  l.on("load remove", function () { if (l.remixBusy) { l.remixBusy = false; busyStep(-1); } });
});
const canvas = L.canvas({ padding: 0.2 });
L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
const comuniLayer = L.geoJSON(null, { renderer: canvas, interactive: false,
  style: function (f) { return outline(f.properties); } }).addTo(map);

function outline(p) {
  const on = (state.comune && p.istat_code === state.comune) || (!state.comune && state.zona && p.zona_code === state.zona);
  return { color: on ? "#000" : "#777", weight: on ? 2.5 : 0.6, fill: false };
}

// --- basemaps, with a fallback to "no basemap" when tiles cannot be reached ---
function setupBasemaps() {
  const none = L.layerGroup();
  const bases = { [T.no_basemap]: none };
  let chosen = none;
  CFG.basemaps.forEach(function (b) {
    const opts = { attribution: b.attribution, maxZoom: b.max_zoom || 19, crossOrigin: true };
    const layer = b.type === "wms"
      ? L.tileLayer.wms(b.url, Object.assign(opts, { layers: b.layers, format: "image/png", transparent: false }))
      : L.tileLayer(b.url, opts);
    let errors = 0;
    layer.on("tileerror", function () {
      errors += 1;
      if (errors === 3 && map.hasLayer(layer)) {
        map.removeLayer(layer); none.addTo(map);
        setStatus(T.offline);
      }
    });
    bases[b.name] = layer;
    if (b.id === CFG.default_basemap) { chosen = layer; }
  });
  chosen.addTo(map);
  L.control.layers(bases, {}, { collapsed: true }).addTo(map);
}

function setStatus(text) { document.getElementById("status").textContent = text; }

// --- the selection as query parameters (the same for features, tiles, table and summary) ---
function filterParams() {
  const q = new URLSearchParams();
  if (state.zona) { q.set("zona", state.zona); }
  if (state.comune) { q.set("comune", state.comune); }
  FILTERS.forEach(function (k) { if (state.filters[k]) { q.set(k, state.filters[k]); } });
  return q;
}

function selectionName() {
  if (state.comune) { const c = CFG.comuni.find(function (x) { return x.istat_code === state.comune; }); return c ? c.name : state.comune; }
  if (state.zona) { const z = CFG.zone.find(function (x) { return x.code === state.zona; }); return z ? z.name : state.zona; }
  return T.whole_cmm;
}

// --- layer tree ---
function buildTree(list) {
  const tree = document.getElementById("layer-tree");
  const groups = {};
  const ordered = list.slice().sort(function (a, b) {  // the "Opportunità" group first, then by theme
    return (a.group === "opportunita" ? 0 : 1) - (b.group === "opportunita" ? 0 : 1); });
  ordered.forEach(function (l) {
    layers[l.slug] = l;
    const key = l.group || l.theme;
    if (!groups[key]) {  // collapsible groups of the tree
      const box = document.createElement("details"); box.open = true; box.dataset.group = key; box.className = "layer-group";
      const sm = document.createElement("summary"); sm.textContent = l.group_label || l.theme_label; box.appendChild(sm);
      groups[key] = document.createElement("ul"); box.appendChild(groups[key]); tree.appendChild(box);
    }
    groups[key].appendChild(P.layerItem(l, T, function (on) { toggleLayer(l.slug, on); },
      function (value) { setOpacity(l.slug, value); }));
  });
}

// Layer opacity (0–1) from the tree's slider, kept across redraws.
const opacity = {};
function setOpacity(slug, value) {
  opacity[slug] = value;
  applyOpacity(slug);
}
function applyOpacity(slug) {
  const layer = drawn[slug], value = opacity[slug];
  if (!layer || value === undefined) { return; }
  if (layer.setOpacity) { layer.setOpacity(value); return; }  // tiles, WMS, vector tiles
  const l = layers[slug];
  const each = function (m) {
    if (m.setStyle && m.feature) {
      const base = styleFor(l, m.feature.properties);
      m.setStyle({ opacity: base.opacity * value, fillOpacity: base.fillOpacity * value });
    }
  };
  if (layer.getLayers) { layer.getLayers().forEach(function (m) { if (m.eachLayer) { m.eachLayer(each); } else { each(m); } }); }
}

// The registry's classification (single / categorized / graduated), applied per feature as MapServer does.
function classify(c, props) {
  if (c.kind === "single") { return c.classes[0]; }
  const v = props ? props[c.field] : null;
  if (c.kind === "categorized") {
    const key = v === null || v === undefined ? null : String(v);
    return c.classes.find(function (k) { return k.value === key; }) || c.other;
  }
  const n = v === null || v === undefined || v === "" ? NaN : Number(v);
  if (isNaN(n)) { return c.other; }
  const last = c.classes.length - 1;
  return c.classes.find(function (k, i) { return (k.min <= n && n < k.max) || (i === last && n === k.max); }) || c.other;
}

function styleFor(l, props) {
  const k = classify(l.classification, props);
  if (!k) { return { stroke: false, fill: false, radius: 0 }; }
  const s = k.symbol;
  return { color: s.stroke, fillColor: s.fill, weight: s.width, opacity: 1, fillOpacity: s.opacity,
    radius: s.radius, fill: true };
}

function toggleLayer(slug, on) {
  if (on) { state.layers.add(slug); } else { state.layers.delete(slug); }
  drawLayer(slug);
  P.legend(activeLayers(), T);
  P.table.layersChanged(activeLayers());
  saveUrl();
}

function activeLayers() { return Array.from(state.layers).filter(function (s) { return layers[s]; }).map(function (s) { return layers[s]; }); }

function drawLayer(slug) {
  if (drawn[slug]) { map.removeLayer(drawn[slug]); delete drawn[slug]; }
  const l = layers[slug];
  const item = document.querySelector('#layer-tree li[data-layer="' + slug + '"]');
  if (!l || !state.layers.has(slug)) { if (item) { item.dataset.count = ""; item.querySelector(".count").textContent = ""; } return; }
  const params = filterParams();
  if (l.delivery === "wms") { drawWms(l, item); return; }
  if (l.delivery === "mvt") {
    params.set("v", l.data_version);
    const url = TILES + slug + "/{z}/{x}/{y}.pbf?" + params.toString();
    const opts = { rendererFactory: L.canvas.tile, interactive: false, maxNativeZoom: 16,
      vectorTileLayerStyles: { [slug]: function (props) { return styleFor(l, props); } } };
    const bounds = dataBounds(l);
    if (bounds) { opts.bounds = bounds; }
    const grid = drawn[slug] = L.vectorGrid.protobuf(url, opts).addTo(map);
    grid.remixUrl = url;
    applyOpacity(slug);
    // First draw of this version: learn where its features lie, for the tiles asked from now on.
    if (!bounds) { loadExtents(l).then(function () { const b = dataBounds(l); if (b && drawn[slug] === grid) { grid.options.bounds = b; } }); }
  } else {
    const layer = (isPoint(l) ? clusterLayer(l) : L.geoJSON(null, { renderer: canvas, interactive: false,
      style: function (f) { return styleFor(l, f.properties); },
      pointToLayer: function (f, ll) { return L.circleMarker(ll, styleFor(l, f.properties)); } })).addTo(map);
    drawn[slug] = layer; layer.remixSlug = slug;
    item.dataset.count = "";
    // The first page says how many features match (numberMatched): no separate count request, unless the layer
    // is known to need more than one page (then the count comes first, and every further page at once).
    loadAll(l, params, layer, function (fc) { showCount(item, fc, params); });
    return;
  }
  countLayer(slug, item, params);
}

// Where a tiled layer's features lie (/api/strati/<slug>/estensioni: all of them, and per comune when the
// selection filters the layer by the features' own comune), once per data version. A tile outside the box of
// the selection's features holds none of them: the tile layer does not ask for it (Leaflet's "bounds").
const extents = {};  // slug -> { version, all: [w, s, e, n] | null, comuni: { istat: box } | null }
function loadExtents(l) {
  const known = extents[l.slug];
  if (known && known.version === l.data_version) { return Promise.resolve(known); }
  return getJSON(API + "strati/" + l.slug + "/estensioni?v=" + l.data_version, { reuse: true }).then(function (body) {
    extents[l.slug] = { version: body.data_version, all: body.all, comuni: body.comuni };
    return extents[l.slug];
  }).catch(function () { return null; });  // no bounds: every tile of the view is asked for, as before
}

function dataBounds(l) {
  const ext = extents[l.slug];
  if (!ext || ext.version !== l.data_version) { return null; }
  let box = ext.all;
  if (ext.comuni && (state.comune || state.zona)) {
    const codes = state.comune ? [state.comune] : (comuniFc ? comuniFc.features : [])
      .filter(function (f) { return f.properties.zona_code === state.zona; })
      .map(function (f) { return f.properties.istat_code; });
    box = null;
    codes.forEach(function (c) {
      const b = ext.comuni[c];
      if (!b) { return; }
      box = box ? [Math.min(box[0], b[0]), Math.min(box[1], b[1]), Math.max(box[2], b[2]), Math.max(box[3], b[3])] : b;
    });
  }
  if (!box) { return null; }  // nothing selected has features: ask as usual (the tiles come back empty)
  const pad = 1e-5;  // a box of one point still overlaps the tile it lies in, edges included
  return L.latLngBounds([box[1] - pad, box[0] - pad], [box[3] + pad, box[2] + pad]);
}

function isPoint(l) { return /POINT/i.test(l.geometry_type || "") && !!L.markerClusterGroup; }

// A feature still placed at its comuni (location_precision "comune") is ONE intervention however many
// comuni it names: one marker, at the comune point nearest the middle; its comuni are listed in the popup.
function onePoint(f) {
  const g = f.geometry;
  if (!g || g.type !== "MultiPoint" || g.coordinates.length < 2 || f.properties.location_precision !== "comune") { return f; }
  const cs = g.coordinates, mx = cs.reduce(function (a, c) { return a + c[0]; }, 0) / cs.length,
    my = cs.reduce(function (a, c) { return a + c[1]; }, 0) / cs.length;
  const best = cs.reduce(function (b, c) { return Math.hypot(c[0] - mx, c[1] - my) < Math.hypot(b[0] - mx, b[1] - my) ? c : b; });
  return Object.assign({}, f, { geometry: { type: "Point", coordinates: best } });
}

// Point layers are clustered with their counts (Leaflet.markercluster, served by Remix: no internet needed).
function clusterLayer(l) {
  const group = L.markerClusterGroup({ maxClusterRadius: 40, showCoverageOnHover: false, chunkedLoading: true,
    spiderfyOnMaxZoom: true });
  group.addData = function (fc) {
    const markers = [];
    L.geoJSON({ type: "FeatureCollection", features: fc.features.map(onePoint) }, {
      pointToLayer: function (f, ll) {
        const m = L.circleMarker(ll, Object.assign(styleFor(l, f.properties), { renderer: canvas }));
        m.feature = f;
        m.on("click", function (e) { L.DomEvent.stopPropagation(e); identify({ latlng: m.getLatLng() }); });
        markers.push(m);
        return m;
      },
    });
    group.addLayers(markers);
  };
  return group;
}

// Rasters: images from our own MapServer (/ows), keyed by data_version so a reload is never stale.
function drawWms(l, item) {
  drawn[l.slug] = L.tileLayer.wms(l.links.wms, { layers: l.slug, format: "image/png", transparent: true,
    version: "1.3.0", v: l.data_version, opacity: 1, zIndex: 5 }).addTo(map);
  item.querySelector(".count").textContent = "";
  item.dataset.count = "raster";  // no features to count: the layer is drawn, nothing is pending
  applyOpacity(l.slug);
}

// GeoJSON layers come in pages of PAGE features (the API's largest). As soon as it is known how many match, every
// further page is asked at once (they are answered in parallel) and they are drawn in order as they arrive. A
// layer that needed more than one page for this version ("paged") has its count (limit=0, no rows read) asked
// beside the first page: the further pages do not wait for the first one's features. ``first`` receives the
// first page: its numberMatched is the layer's count for the selection.
const PAGE = 1000, MAX_OFFSET = 20000;
const paged = {};  // slug -> data_version of a load that matched more than one page
function loadAll(l, params, layer, first) {
  const url = API + "strati/" + l.slug + "/elementi?limit=" + PAGE + "&" + params.toString();
  let failed = false;
  const fail = function (err) {
    if (failed) { return; }
    failed = true;
    if (drawn[l.slug] === layer) { layer.clearLayers(); }
    P.showError(T, err.message);
  };
  const current = function () { return !failed && drawn[l.slug] === layer; };
  const rest = function (matched) {  // the pages after the first, asked together, drawn in order
    const asked = [];
    for (let offset = PAGE; offset < matched && offset <= MAX_OFFSET; offset += PAGE) {
      const page = getJSON(url + "&offset=" + offset);
      page.catch(function () {});  // a failure is reported once, in order, by the drawing chain below
      asked.push(page);
    }
    if (asked.length) { paged[l.slug] = l.data_version; }
    return asked;
  };
  const firstPage = getJSON(url + "&offset=0");
  let others;  // promise of the further pages' promises
  if (paged[l.slug] === l.data_version) {
    const q = new URLSearchParams(params); q.set("limit", "0"); q.set("geometry", "0");
    others = getJSON(API + "strati/" + l.slug + "/elementi?" + q.toString())
      .then(function (count) { return current() ? rest(count.numberMatched) : []; });
  } else {
    others = firstPage.then(function (fc) { return current() ? rest(fc.numberMatched) : []; });
  }
  firstPage.then(function (fc) {
    if (!current()) { return; }
    layer.addData(fc);
    applyOpacity(l.slug);
    if (first) { first(fc); }
    return others.then(function (pages) {
      return pages.reduce(function (drawnSoFar, page) {
        return drawnSoFar.then(function () { return page; }).then(function (fc) {
          if (current()) { layer.addData(fc); applyOpacity(l.slug); }
        });
      }, Promise.resolve());
    });
  }).catch(fail);
  others.catch(fail);
}

// Tiles carry no count: ask for it (one row, no geometry), unless the attribute table is asking for the first
// page of this very layer and selection, whose answer carries the same count: one live count, not two.
function countLayer(slug, item, params) {
  const q = new URLSearchParams(params); q.delete("v");
  item.dataset.count = "";
  Promise.resolve().then(function () {  // a microtask: the table has asked for its page by now (same event)
    const page = new URLSearchParams(q); page.set("geometry", "0"); page.set("limit", String(P.table.size)); page.set("offset", "0");
    const pageUrl = API + "strati/" + slug + "/elementi?" + page.toString();
    if (P.table.lastUrl === pageUrl) { return getJSON(pageUrl, { reuse: true }); }
    q.set("limit", "0"); q.set("geometry", "0");  // the count alone: no page of rows is read
    return getJSON(API + "strati/" + slug + "/elementi?" + q.toString());
  }).then(function (fc) {
    if (!state.layers.has(slug)) { return; }
    showCount(item, fc, params);
  }).catch(function (err) {
    item.querySelector(".count").textContent = "(" + T.error + ")"; item.dataset.count = "error";
    P.showError(T, err.message);
  });
}

function showCount(item, fc, params) {
  const q = new URLSearchParams(params); q.delete("v");
  const n = fc.numberMatchedIsExact ? String(fc.numberMatched) : T.more_than.replace("%(n)s", fc.numberMatched);
  item.querySelector(".count").textContent = "(" + n + ")";
  item.dataset.count = String(fc.numberMatched);
  item.dataset.filter = q.toString();
}

// --- selection ---
function selectTerritory(zona, comune, zoom) {
  state.zona = comune ? "" : (zona || ""); state.comune = comune || "";
  document.getElementById("zona-select").value = state.zona;
  const c = CFG.comuni.find(function (x) { return x.istat_code === state.comune; });
  document.getElementById("comune-search").value = c ? c.name : "";
  comuniLayer.setStyle(function (f) { return outline(f.properties); });
  if (zoom) {
    // The summary, the longest answer, is asked for first: the server works on it while the map moves.
    loadSummary();
    // The layers are drawn again for the new selection: take them off first, so that the move does not
    // ask for tiles of the old selection at the new view (a server's work nobody would see).
    Object.keys(drawn).forEach(function (slug) { map.removeLayer(drawn[slug]); delete drawn[slug]; });
    zoomToSelection();
  }
  refresh(!!zoom);
}

function loadSummary() { P.summary.load(API + "riepilogo?" + filterParams().toString(), T); }

function zoomToSelection() {
  if (!comuniFc) { return; }
  const feats = comuniFc.features.filter(function (f) {
    return state.comune ? f.properties.istat_code === state.comune : (!state.zona || f.properties.zona_code === state.zona);
  });
  if (feats.length) { map.fitBounds(L.geoJSON({ type: "FeatureCollection", features: feats }).getBounds(), { animate: false }); }
}

function geojsonFirst(l) { return l.delivery === "mvt" || l.delivery === "wms" ? 1 : 0; }

// ``summaryAsked``: the caller has asked for the summary of this selection already.
function refresh(summaryAsked) {
  forget();  // answers reused within one selection (http.js) are not reused across a change
  P.clearError();
  renderChips();
  // The layers read as GeoJSON pages first: theirs are the longest answers, asked before the tiles take the
  // browser's connections to the server (six at most). Tiles are drawn in a pane of their own, under the GeoJSON
  // layers whatever the order, and each kind keeps its own order.
  Object.keys(layers).sort(function (a, b) { return geojsonFirst(layers[a]) - geojsonFirst(layers[b]); }).forEach(drawLayer);
  document.getElementById("selection-title").textContent = selectionName();
  document.getElementById("print-title").textContent = T.map_title + " — " + selectionName();
  P.legend(activeLayers(), T);
  if (!summaryAsked) { loadSummary(); }
  P.compare.update(API, filterParams(), state, T);
  P.table.selectionChanged(filterParams());
  saveUrl();
}

// --- permalink: layers, selection, filters, comparison and extent in the query string ---
// One history entry update per task, as it ends (a microtask: before anything else can read the URL): a
// selection moves the map and redraws (two saves), and each replaceState costs the page several milliseconds.
let urlPending = false;
function saveUrl() {
  if (!ready || urlPending) { return; }
  urlPending = true;
  queueMicrotask(function () { if (urlPending) { writeUrl(); } });
}

// Write the permalink now (the permalink button reads it at once).
function writeUrl() {
  urlPending = false;
  if (!ready) { return; }
  const q = filterParams();
  q.set("layers", Array.from(state.layers).join(","));
  if (state.compare) { q.set("compare", state.compare); }
  if (document.getElementById("panel").dataset.tab === "summary") { q.set("tab", "summary"); }
  const c = map.getCenter();
  q.set("map", [map.getZoom(), c.lat.toFixed(5), c.lng.toFixed(5)].join("/"));
  history.replaceState(null, "", location.pathname + "?" + q.toString());
  document.getElementById("permalink-url").value = location.href;
}

function readUrl() {
  const q = new URLSearchParams(location.search);
  (q.get("layers") || "").split(",").filter(Boolean).forEach(function (s) { state.layers.add(s); });
  state.zona = q.get("zona") || ""; state.comune = q.get("comune") || ""; state.compare = q.get("compare") || "";
  FILTERS.forEach(function (k) { if (q.get(k)) { state.filters[k] = q.get(k); } });
  if (q.get("tab") === "summary") { showTab("summary"); }
  const view = (q.get("map") || "").split("/").map(Number);
  return view.length === 3 && view.every(isFinite) ? view : null;
}

function bindControls() {
  document.getElementById("zona-select").addEventListener("change", function (e) { selectTerritory(e.target.value, "", true); });
  const input = document.getElementById("comune-search");
  const list = document.getElementById("comuni-list"), cmp = document.getElementById("compare-comuni");
  CFG.comuni.forEach(function (c) {
    const o = document.createElement("option"); o.value = c.name; list.appendChild(o);
    const o2 = document.createElement("option"); o2.value = "comune:" + c.istat_code; o2.textContent = c.name; cmp.appendChild(o2);
  });
  const nils = CFG.nil || [];
  const nilLabel = function (n) { return T.nil_label.replace("%(name)s", n.name).replace("%(id)s", n.id); };
  nils.forEach(function (n) { const o = document.createElement("option"); o.value = nilLabel(n); list.appendChild(o); });
  // A partial name finds the comune ("sesto", "cinisello", "san donato"), accents and apostrophes aside:
  // the exact name first, then the names that start with it, then those that contain it.
  const fold = function (t) { return t.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase().replace(/[^a-z0-9]+/g, " ").trim(); };
  // Milano is searched by NIL too: a NIL's label from the list, else (no comune matching) a NIL's name
  // or part of it ("brera", "nolo"): Milano is selected and the map framed on the NIL.
  function pickNil(n) {
    if (state.comune !== n.istat_code || state.zona) { selectTerritory("", n.istat_code, false); }
    map.fitBounds([[n.bbox[1], n.bbox[0]], [n.bbox[3], n.bbox[2]]], { animate: false });
    input.value = nilLabel(n); input.dataset.nil = n.id;
  }
  function findIn(items, name) {
    return items.find(function (x) { return fold(x.name) === name; }) ||
      items.find(function (x) { return fold(x.name).indexOf(name) === 0; }) ||
      items.find(function (x) { return (" " + fold(x.name)).indexOf(" " + name) >= 0; }) ||
      items.find(function (x) { return fold(x.name).indexOf(name) >= 0; });
  }
  function pick() {
    const name = fold(input.value);
    if (!name) { return; }
    delete input.dataset.nil;
    const labelled = nils.find(function (n) { return fold(nilLabel(n)) === name; });
    if (labelled) { pickNil(labelled); return; }
    const c = findIn(CFG.comuni, name);
    // Enter and the change that follows it pick the same comune: the selection is made once.
    if (c && state.comune === c.istat_code && !state.zona) { input.value = c.name; zoomToSelection(); return; }
    if (c) { selectTerritory("", c.istat_code, true); return; }
    const n = findIn(nils, name);
    if (n) { pickNil(n); } else { setStatus(T.no_place.replace("%(q)s", input.value)); }
  }
  input.addEventListener("change", pick);
  input.addEventListener("keydown", function (e) { if (e.key === "Enter") { pick(); } });
  document.getElementById("clear-selection").addEventListener("click", function () { selectTerritory("", "", true); });
  document.getElementById("filters").addEventListener("change", function (e) {
    state.filters[e.target.name] = e.target.value.trim(); refresh();
  });
  FILTERS.forEach(function (k) { const el = document.getElementById("f-" + k); if (el && state.filters[k]) { el.value = state.filters[k]; } });
  document.getElementById("compare-with").addEventListener("change", function (e) {
    state.compare = e.target.value; P.compare.update(API, filterParams(), state, T); saveUrl();
  });
  document.getElementById("permalink-btn").addEventListener("click", function () {
    writeUrl(); const el = document.getElementById("permalink-url"); el.select();
    if (navigator.clipboard) { navigator.clipboard.writeText(el.value).catch(function () {}); }
    setStatus(T.copied);
  });
  // Server-side PDF (WeasyPrint around Remix's own WMS): the layers on, the selection, the chosen scale.
  document.getElementById("print-box").addEventListener("toggle", function () {
    document.getElementById("print-scale").value = String(niceScale());
    document.getElementById("print-title-input").value = T.map_title + " — " + selectionName();
    updatePrintLink();
  });
  ["print-title-input", "print-paper", "print-orientation", "print-scale"].forEach(function (id) {
    document.getElementById(id).addEventListener("input", updatePrintLink);
    document.getElementById(id).addEventListener("change", updatePrintLink);
  });
  document.getElementById("print-pdf").addEventListener("click", updatePrintLink);
  document.getElementById("gpkg-btn").addEventListener("click", function () {
    Export.start(Array.from(state.layers).filter(function (s) { return layers[s]; }), state, map, T);
  });
  document.getElementById("export-png-btn").addEventListener("click", function () {
    P.exportPng(map, T.map_title + " — " + selectionName(), activeLayers(), T);
  });
  map.on("moveend", function () { saveUrl(); P.table.extentChanged(map.getBounds()); });
  map.on("click", identify);
  Tools.measure.init(map, T);
  // Tabs: the summary is one click away, never below the whole layer tree.
  document.querySelectorAll("#panel .tabs button").forEach(function (b) {
    b.addEventListener("click", function () { showTab(b.dataset.tab); });
  });
  document.getElementById("move-save").addEventListener("click", saveMove);
  document.getElementById("move-cancel").addEventListener("click", stopMove);
}

// The scale of the screen map (96 dpi) rounded to a planner's round number (1, 2, 2.5 or 5 × 10ⁿ).
function niceScale() {
  const c = map.getCenter();
  const mpp = 40075016 * Math.cos(c.lat * Math.PI / 180) / Math.pow(2, map.getZoom() + 8);
  const raw = mpp * 96 / 0.0254, p = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 2.5, 5, 10].map(function (m) { return m * p; }).reduce(function (b, v) {
    return Math.abs(v - raw) < Math.abs(b - raw) ? v : b; });
}

function updatePrintLink() {
  const q = filterParams(), c = map.getCenter();
  q.set("layers", activeLayers().map(function (l) { return l.slug; }).join(","));
  q.set("paper", document.getElementById("print-paper").value);
  q.set("orientation", document.getElementById("print-orientation").value);
  q.set("scale", (document.getElementById("print-scale").value || String(niceScale())).replace(/[.\s]/g, ""));
  q.set("center", c.lng.toFixed(5) + "," + c.lat.toFixed(5));
  q.set("title", document.getElementById("print-title-input").value);
  const prefix = pageLang() === "en" ? "/en" : "";
  document.getElementById("print-pdf").href = prefix + "/mappa/stampa.pdf?" + q.toString();
}

function showTab(tab) {
  document.getElementById("panel").dataset.tab = tab;
  document.querySelectorAll("#panel .tabs button").forEach(function (b) { b.setAttribute("aria-selected", String(b.dataset.tab === tab)); });
  saveUrl();
}

// A row of the table: zoom to its feature and highlight it.
let highlight = null;
function zoomToFeature(slug, id) {
  const q = filterParams(); q.set("id", id); q.set("limit", "1");
  getJSON(API + "strati/" + slug + "/elementi?" + q.toString()).then(function (fc) {
    if (highlight) { map.removeLayer(highlight); }
    highlight = L.geoJSON(fc, { interactive: false, style: { color: "#ffd400", weight: 5, fill: false },
      pointToLayer: function (f, ll) { return L.circleMarker(ll, { radius: 14, color: "#ffd400", weight: 5, fill: false }); } })
      .addTo(map);
    highlight.remixId = id;
    const b = highlight.getBounds();
    if (b.isValid()) { map.fitBounds(b, { maxZoom: 16, animate: false, padding: [40, 40] }); }
    document.getElementById("map").dataset.highlighted = slug + ":" + id;
  }).catch(function (err) { P.showError(T, err.message); });
}

// The chip bar: every active filter (territory, intervention filters, table columns), removable in one click.
function renderChips() {
  const bar = document.getElementById("chips");
  bar.replaceChildren();
  const chips = [];
  if (state.zona) { chips.push([T.chip_zona, selectionName(), function () { selectTerritory("", "", true); }, "zona"]); }
  if (state.comune) { chips.push([T.chip_comune, selectionName(), function () { selectTerritory("", "", true); }, "comune"]); }
  FILTERS.forEach(function (k) {
    if (state.filters[k]) {
      chips.push([T.filter_labels[k] || k, state.filters[k], function () {
        state.filters[k] = ""; const f = document.getElementById("f-" + k); if (f) { f.value = ""; } refresh();
      }, k]);
    }
  });
  Object.keys(P.table.colFilters).forEach(function (k) {
    chips.push([T.chip_column + " " + k, P.table.colFilters[k], function () { P.table.setColumnFilter(k, ""); }, "col." + k]);
  });
  chips.forEach(function (c) {
    const chip = document.createElement("span"); chip.className = "chip"; chip.dataset.filter = c[3];
    chip.textContent = c[0] + ": " + c[1] + " ";
    const x = document.createElement("button"); x.type = "button"; x.textContent = "×";
    x.setAttribute("aria-label", T.remove_filter + " " + c[0]); x.addEventListener("click", c[2]);
    chip.appendChild(x); bar.appendChild(chip);
  });
  bar.hidden = chips.length === 0;
}

// --- identify: features of the visible layers under the click, and the comune to select ---
function identify(e) {
  if (Tools.measure.active()) { return; }  // measuring: clicks are vertices
  const metresPerPixel = 40075016 * Math.cos(e.latlng.lat * Math.PI / 180) / Math.pow(2, map.getZoom() + 8);
  const q = filterParams();
  q.set("lon", e.latlng.lng.toFixed(6)); q.set("lat", e.latlng.lat.toFixed(6));
  q.set("layers", Array.from(state.layers).join(",")); q.set("tolerance", Math.min(5000, Math.round(metresPerPixel * 6)));
  q.set("statistics", "1");  // the zonal statistics of the areas hit, for the popup (incontri), in the same answer
  getJSON(API + "identifica?" + q.toString()).then(function (body) {
    // As tall as the room above the click allows (up to 300 px), so that the map rarely has to move; when it
    // must, it moves at once (no 250 ms animation, no tiles asked for a view passed through).
    const room = map.latLngToContainerPoint(e.latlng).y - 60;
    const popup = L.popup({ maxWidth: 360, maxHeight: Math.max(160, Math.min(300, room)), autoPan: false });
    const update = function () { popup.update(); keepInView(popup); };  // content grew: lay out again, into view
    const el = P.popupContent(body, T, function (zona, comune) { map.closePopup(); selectTerritory(zona, comune, true); },
      update, CFG.can_move ? function (id, props) { map.closePopup(); startMove(id, props, e.latlng); } : null);
    // other panels add to the popup (incontri: zonal statistics of an opportunity area), from the answer, before
    // it is opened: it is laid out once, with all its content
    map.fire("remix:identify", { body: body, element: el, update: update });
    popup.setLatLng(e.latlng).setContent(el).openOn(map);
    keepInView(popup);
  }).catch(function (err) { P.showError(T, err.message); });
}

// Leaflet's autoPan, without its animation: the popup inside the map's frame (10 px padding).
function keepInView(popup) {
  const box = popup.getElement();
  if (!box || !map.hasLayer(popup)) { return; }
  const frame = map.getContainer().getBoundingClientRect(), r = box.getBoundingClientRect(), pad = 10;
  let dx = 0, dy = 0;
  if (r.right + pad > frame.right) { dx = r.right + pad - frame.right; }
  if (r.left - dx - pad < frame.left) { dx = r.left - pad - frame.left; }
  if (r.bottom + pad > frame.bottom) { dy = r.bottom + pad - frame.bottom; }
  if (r.top - dy - pad < frame.top) { dy = r.top - pad - frame.top; }
  if (dx || dy) { map.panBy([dx, dy], { animate: false }); }
}

// Staff move an intervention: a draggable marker, the precision (address or site), then save (audited).
let moving = null;
function startMove(id, props, fallback) {
  stopMove();
  const group = drawn.realizzazioni;
  const found = group && group.getLayers().find(function (m) { return m.feature && m.feature.id === id; });
  const marker = L.marker(found ? found.getLatLng() : fallback, { draggable: true, autoPan: true }).addTo(map);
  moving = { id: id, marker: marker };
  const panel = document.getElementById("move-panel");
  document.getElementById("move-title").textContent = (props.code || "") + " " + (props.title || "") + " — " + T.move_hint;
  panel.hidden = false;
}
function stopMove() {
  if (moving) { map.removeLayer(moving.marker); moving = null; }
  document.getElementById("move-panel").hidden = true;
}
function saveMove() {
  if (!moving) { return; }
  const ll = moving.marker.getLatLng();
  getJSON(API + "realizzazioni/" + moving.id + "/posizione", { method: "POST",
    body: { lon: ll.lng, lat: ll.lat, precision: document.getElementById("move-precision").value } })
    .then(function () { stopMove(); setStatus(T.moved); drawLayer("realizzazioni"); P.table.load(); })
    .catch(function (err) { P.showError(T, err.message); });
}

function start() {
  const view = readUrl();
  setupBasemaps();
  bindControls();
  P.table.init(API, map, T);
  P.table.onRowClick = zoomToFeature;
  P.table.onFiltersChanged = renderChips;
  Promise.all([getJSON(API + "strati"), getJSON(API + "comuni.geojson")]).then(function (res) {
    comuniFc = res[1]; comuniLayer.addData(comuniFc);
    buildTree(res[0].layers);
    if (!new URLSearchParams(location.search).has("layers")) {
      res[0].layers.forEach(function (l) { if (CFG.default_layers.indexOf(l.slug) >= 0) { state.layers.add(l.slug); } });
    }
    state.layers.forEach(function (s) { const cb = document.querySelector('#layer-tree input[value="' + s + '"]'); if (cb) { cb.checked = true; } });
    document.getElementById("zona-select").value = state.zona;
    document.getElementById("compare-with").value = state.compare;
    if (view) { map.setView([view[1], view[2]], view[0], { animate: false }); } else { zoomToSelection(); }
    selectTerritory(state.zona, state.comune, false);
    ready = true; writeUrl();
    P.table.layersChanged(activeLayers());
    document.getElementById("map").dataset.loaded = "1";
  }).catch(function (err) { setStatus(T.error + ": " + err.message); });
}
start();

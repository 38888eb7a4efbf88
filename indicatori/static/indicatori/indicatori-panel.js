// "Indicatori" panel of the planners' map: colour the comuni (zone, NIL) by an indicator and period,
// legend and sources, the selected area's series with its zona and CMM, ranking and comparison.
// Draws on the map of static/remix/webmap.js; talks only to /api/indicatori. No inline script (CSP);
// every text from the data goes in as text (DOM nodes), never as HTML.
import { getJSON } from "../remix/http.js";
import { map } from "../remix/webmap.js";

const box = document.getElementById("indicatori-panel");
if (box && window.L) { setup(box); }

function setup(box) {
  const API = box.dataset.api.replace(/\/$/, "");
  const lang = (document.documentElement.lang || "it").slice(0, 2) === "en" ? "en" : "it";
  const locale = lang === "en" ? "en-GB" : "it-IT";
  const T = {};
  box.querySelectorAll("[data-k]").forEach(function (el) { T[el.dataset.k] = el.textContent; });
  const DECIMALS = { "ha": 2, "%": 2, "ab": 0, "€": 0, "€/ab": 2, "n.": 0, "°C": 2, "m²/ab": 1 };
  const PALETTES = {
    worse: ["#fef0d9", "#fdcc8a", "#fc8d59", "#e34a33", "#b30000"],
    better: ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"],
    neutral: ["#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c"],
  };
  const $ = function (id) { return document.getElementById(id); };
  const state = { indicators: {}, code: null, level: "comune", period: null, method: "quantile",
                  values: {}, breaks: [], layer: null, selected: null, compare: null, areas: {} };
  window.RemixIndicatori = state;  // for the browser tests only

  // An element with attributes and children (strings become text nodes: data is never parsed as HTML).
  function h(tag, attrs, children) {
    const e = document.createElement(tag);
    setAttrs(e, attrs);
    append(e, children);
    return e;
  }
  const SVGNS = "http://www.w3.org/2000/svg";
  function s(tag, attrs, children) {
    const e = document.createElementNS(SVGNS, tag);
    setAttrs(e, attrs);
    append(e, children);
    return e;
  }
  function setAttrs(e, attrs) {
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) { e.setAttribute(k, attrs[k]); }
    });
  }
  function append(e, children) {
    (Array.isArray(children) ? children : children === undefined || children === null ? [] : [children])
      .forEach(function (c) { if (c !== null && c !== undefined && c !== "") { e.append(c); } });
  }
  function options(select, items) {  // items: [value, label]
    select.replaceChildren.apply(select, items.map(function (i) { return h("option", { value: i[0] }, i[1]); }));
  }
  function q(params) {
    return Object.keys(params).map(function (k) { return k + "=" + encodeURIComponent(params[k]); }).join("&");
  }
  function num(v, unit) {
    if (v === null || v === undefined) return T.no_data;
    const d = DECIMALS[unit] !== undefined ? DECIMALS[unit] : 2;
    const text = new Intl.NumberFormat(locale, { minimumFractionDigits: d, maximumFractionDigits: d }).format(v);
    if (unit === "€") return lang === "it" ? text + " €" : "€" + text;
    return text + " " + unit;
  }
  function period(p) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(p || "");
    return m && lang === "it" ? m[3] + "/" + m[2] + "/" + m[1] : p;
  }
  function ind() { return state.indicators[state.code]; }

  // --- classification ------------------------------------------------------------------------
  function quantiles(sorted, k) {
    const out = [];
    for (let i = 1; i < k; i++) out.push(sorted[Math.min(sorted.length - 1, Math.floor(i * sorted.length / k))]);
    return out;
  }
  function equal(sorted, k) {
    const lo = sorted[0], hi = sorted[sorted.length - 1], out = [];
    for (let i = 1; i < k; i++) out.push(lo + (hi - lo) * i / k);
    return out;
  }
  function jenks(sorted, k) {  // Fisher-Jenks natural breaks (exact, O(k·n²): fine for a few hundred areas)
    const n = sorted.length;
    if (n <= k) return sorted.slice(1);
    const lower = [], variance = [];
    for (let i = 0; i <= n; i++) {
      lower.push(new Array(k + 1).fill(0));
      variance.push(new Array(k + 1).fill(i === 0 ? 0 : Infinity));
    }
    for (let j = 1; j <= k; j++) { lower[1][j] = 1; variance[1][j] = 0; }
    for (let l = 2; l <= n; l++) {
      let s1 = 0, s2 = 0, w = 0, v = 0;
      for (let m = 1; m <= l; m++) {
        const i3 = l - m + 1, val = sorted[i3 - 1];
        s2 += val * val; s1 += val; w += 1; v = s2 - (s1 * s1) / w;
        const i4 = i3 - 1;
        if (i4 !== 0) {
          for (let j = 2; j <= k; j++) {
            if (variance[l][j] >= v + variance[i4][j - 1]) { lower[l][j] = i3; variance[l][j] = v + variance[i4][j - 1]; }
          }
        }
      }
      lower[l][1] = 1; variance[l][1] = v;
    }
    const breaks = [];
    let kk = n;
    for (let j = k; j >= 2; j--) { const id = lower[kk][j] - 2; breaks.unshift(sorted[id + 1]); kk = lower[kk][j] - 1; }
    return breaks;
  }
  function classify() {
    const vals = Object.values(state.values).filter(function (v) { return v !== null; }).sort(function (a, b) { return a - b; });
    if (!vals.length) { state.breaks = []; return; }
    const k = Math.min(5, new Set(vals).size);
    const fn = state.method === "equal" ? equal : state.method === "jenks" ? jenks : quantiles;
    state.breaks = k > 1 ? fn(vals, k) : [];
    state.min = vals[0]; state.max = vals[vals.length - 1];
  }
  function palette() {
    const hib = ind().higher_is_better;
    return hib === true ? PALETTES.better : hib === false ? PALETTES.worse : PALETTES.neutral;
  }
  function colour(v) {
    if (v === null || v === undefined) return "#cccccc";
    let i = 0;
    while (i < state.breaks.length && v >= state.breaks[i]) i++;
    return palette()[Math.min(i, 4)];
  }

  // --- drawing -------------------------------------------------------------------------------
  function areasOf(level) {
    if (state.areas[level]) return Promise.resolve(state.areas[level]);
    return getJSON(API + "/aree.geojson?" + q({ level: level })).then(function (fc) { state.areas[level] = fc; return fc; });
  }
  function styleOf(feature) {
    const v = state.values[feature.properties.code];
    const sel = state.selected && state.selected.code === feature.properties.code;
    return { fillColor: colour(v), fillOpacity: 0.75, color: sel ? "#000" : "#555", weight: sel ? 3 : 0.6 };
  }
  function draw() {
    if (!state.code) return Promise.resolve();
    const level = state.level;
    return Promise.all([areasOf(level), getJSON(API + "/" + state.code + "/valori?" + q({ level: level, period: state.period || "", lang: lang }))])
      .then(function (res) {
        const fc = res[0], data = res[1];
        state.period = data.period;
        state.values = {}; state.names = {};
        data.values.forEach(function (v) { state.values[v.code] = v.value; state.names[v.code] = v.name; });
        classify();
        if (state.layer) map.removeLayer(state.layer);
        state.layer = L.geoJSON(fc, {
          style: styleOf,
          onEachFeature: function (f, layer) {
            layer.bindTooltip(function () {  // an element: Leaflet would parse a string as HTML
              return h("span", {}, f.properties.name + ": " + num(state.values[f.properties.code], ind().unit));
            }, { sticky: true });
            layer.on("click", function () { select({ level: level, code: f.properties.code, name: f.properties.name }); });
          },
        }).addTo(map);
        legend(); ranking(); fillCompare();
        $("ind-csv").href = API + "/" + state.code + "/valori?" + q({ level: level, period: state.period, format: "csv" });
        box.dataset.drawn = String(state.layer.getLayers().length);
        if (state.selected && state.selected.level === level) select(state.selected);
      })
      .catch(function (err) { $("ind-note").textContent = T.error + ": " + err.message; });
  }
  function legend() {
    const i = ind(), pal = palette(), b = state.breaks, box = $("ind-legend");
    const edges = [state.min].concat(b).concat([state.max]);
    const row = function (fill, text) {  // styles set through the CSSOM: no inline style attributes (CSP)
      const div = document.createElement("div"), sw = document.createElement("span");
      div.className = "row"; sw.className = "swatch"; sw.style.background = fill;
      div.appendChild(sw); div.appendChild(document.createTextNode(text));
      box.appendChild(div);
    };
    box.textContent = "";
    for (let c = 0; c < edges.length - 1; c++) row(pal[Math.min(c, 4)], num(edges[c], i.unit) + " – " + num(edges[c + 1], i.unit));
    row("#cccccc", T.no_data);
    $("ind-note").replaceChildren();
    append($("ind-note"), [i.synthetic ? h("span", { class: "ind-synthetic" }, T.synthetic) : null, i.synthetic ? " " : null,
      i.description || "", i.notes ? " " + i.notes : null]);
    $("ind-source").textContent = T.source + ": " + i.sources.join("; ");
  }
  function ranked() {
    const hib = ind().higher_is_better;
    return Object.keys(state.values).filter(function (c) { return state.values[c] !== null; })
      .sort(function (a, b) { return hib === false ? state.values[a] - state.values[b] : state.values[b] - state.values[a]; });
  }
  function ranking() {
    const sel = state.selected && state.selected.code;
    $("ind-ranking").replaceChildren.apply($("ind-ranking"), ranked().map(function (c) {
      return h("li", { "data-code": c, class: c === sel ? "selected" : null },
        [state.names[c] || c, " ", h("span", { class: "v" }, num(state.values[c], ind().unit))]);
    }));
  }
  function fillCompare() {
    const sel = $("ind-compare"), keep = sel.value;
    const opts = Object.keys(state.names).sort(function (a, b) { return state.names[a].localeCompare(state.names[b], locale); });
    options(sel, [["", "—"]].concat(opts.map(function (c) { return [c, state.names[c]]; })));
    sel.value = opts.indexOf(keep) >= 0 ? keep : "";
  }

  // --- the selected area: figure, series with references, comparison ---------------------------
  function select(area) {
    state.selected = area;
    if (state.layer) state.layer.setStyle(styleOf);
    $("ind-area-name").textContent = area.name;
    const i = ind(), v = state.values[area.code];
    const fig = [h("strong", {}, num(v, i.unit)), " (" + period(state.period) + ")"];
    if (i.params && i.params.soglia_pct) {
      const soglia = i.params.soglia_pct.value;
      fig.push(h("br"), T.threshold + ": " + num(soglia, "%") + " — " + (v !== null && v >= soglia ? T.met : T.not_met));
    }
    if (area.level === "comune" || area.level === "zona") {
      fig.push(" · ", h("a", { href: "/" + (lang === "en" ? "en/" : "") + "atlante/" + encodeURIComponent(area.code) + "/" }, T.atlas));
    }
    $("ind-figure").replaceChildren.apply($("ind-figure"), fig);
    ranking();
    return series();
  }
  function series() {
    const a = state.selected;
    if (!a) return Promise.resolve();
    const reqs = [getJSON(API + "/" + state.code + "/serie?" + q({ area: a.level + ":" + a.code }))];
    if (state.compare) reqs.push(getJSON(API + "/" + state.code + "/serie?" + q({ area: state.level + ":" + state.compare })));
    return Promise.all(reqs).then(function (res) {
      const lines = [res[0].area];
      if (ind().aggregate === "ratio") res[0].references.forEach(function (r) { lines.push(r); });
      if (res[1]) lines.push(res[1].area);
      $("ind-series").replaceChildren(chart(lines, ind().unit));
      if (ind().aggregate !== "ratio") { $("ind-series").append(h("p", { class: "note" }, T.no_reference)); }
      compareTable(res);
    });
  }
  function compareTable(res) {
    if (!res[1]) { $("ind-compare-result").replaceChildren(); return; }
    const a = res[0].area, b = res[1].area, periods = {};
    a.points.concat(b.points).forEach(function (p) { periods[p.period] = true; });
    const val = function (s, p) { const f = s.points.filter(function (x) { return x.period === p; })[0]; return f ? f.value : null; };
    const table = h("table", { class: "ind-compare-table" }, h("tr", {}, [h("th"), h("th", {}, a.name), h("th", {}, b.name)]));
    Object.keys(periods).sort().forEach(function (p) {
      table.append(h("tr", {}, [h("td", {}, period(p)), h("td", {}, num(val(a, p), ind().unit)), h("td", {}, num(val(b, p), ind().unit))]));
    });
    $("ind-compare-result").replaceChildren(table);
  }
  function chart(lines, unit) {
    const W = 320, H = 170, L0 = 56, R = 8, T0 = 8, B = 46;
    const periods = [];
    lines.forEach(function (l) { l.points.forEach(function (p) { if (periods.indexOf(p.period) < 0) periods.push(p.period); }); });
    periods.sort();
    const vals = [];
    lines.forEach(function (l) { l.points.forEach(function (p) { if (p.value !== null) vals.push(p.value); }); });
    if (!vals.length) return h("p", {}, T.no_data);
    let lo = Math.min.apply(null, vals), hi = Math.max.apply(null, vals);
    if (lo === hi) { lo -= Math.abs(lo) * 0.1 || 1; hi += Math.abs(hi) * 0.1 || 1; }
    const pad = (hi - lo) * 0.08; lo -= pad; hi += pad;
    const x = function (p) { const i = periods.indexOf(p); return L0 + (periods.length > 1 ? (W - L0 - R) * i / (periods.length - 1) : (W - L0 - R) / 2); };
    const y = function (v) { return T0 + (H - T0 - B) * (1 - (v - lo) / (hi - lo)); };
    const colours = ["#08519c", "#e6550d", "#636363", "#756bb1"], dashes = ["", "6 3", "2 3", "8 2 2 2"];
    const svg = s("svg", { viewBox: "0 0 " + W + " " + H, role: "img" });
    [lo, (lo + hi) / 2, hi].forEach(function (v) {
      svg.append(s("line", { x1: L0, x2: W - R, y1: y(v), y2: y(v), stroke: "#ddd" }),
        s("text", { x: L0 - 3, y: y(v) + 3, "font-size": 9, "text-anchor": "end" }, num(v, unit).replace(" " + unit, "")));
    });
    const step = Math.max(1, Math.ceil(periods.length / 5));
    periods.forEach(function (p, i) {
      if (i % step === 0 || i === periods.length - 1) {
        svg.append(s("text", { x: x(p), y: H - B + 12, "font-size": 8, "text-anchor": "middle" }, period(p)));
      }
    });
    lines.forEach(function (l, n) {
      const pts = l.points.filter(function (p) { return p.value !== null; }).map(function (p) { return x(p.period).toFixed(1) + "," + y(p.value).toFixed(1); });
      const dash = dashes[n % 4] || null;
      svg.append(s("polyline", { class: "ind-line", "data-name": l.name, points: pts.join(" "), fill: "none", stroke: colours[n % 4],
        "stroke-width": n === 0 ? 2 : 1.4, "stroke-dasharray": dash }));
      const lx = 4 + (n % 2) * (W / 2), ly = H - 22 + Math.floor(n / 2) * 11;
      svg.append(s("line", { x1: lx, x2: lx + 14, y1: ly - 3, y2: ly - 3, stroke: colours[n % 4], "stroke-width": 2, "stroke-dasharray": dash }),
        s("text", { x: lx + 17, y: ly, "font-size": 8 }, l.name.slice(0, 30)));
    });
    return svg;
  }

  // --- controls ------------------------------------------------------------------------------
  function fillLevels() {
    const levels = ind().levels.filter(function (l) { return l !== "cmm"; });
    options($("ind-level"), levels.map(function (l) { return [l, T[l]]; }));
    if (levels.indexOf(state.level) < 0) state.level = levels[0];
    $("ind-level").value = state.level;
    fillPeriods();
  }
  function fillPeriods() {
    const periods = (ind().periods_by_level || {})[state.level] || [];
    options($("ind-period"), periods.map(function (p) { return [p, period(p)]; }));
    state.period = periods.length ? periods[periods.length - 1] : null;
    $("ind-period").value = state.period || "";
  }
  function start() {
    getJSON(API + "?" + q({ lang: lang })).then(function (data) {
      data.indicators.forEach(function (i) { state.indicators[i.code] = i; });
      options($("ind-code"), data.indicators.map(function (i) {
        return [i.code, i.title + " (" + i.unit + ")" + (i.synthetic ? " – " + T.synthetic : "")];
      }));
      state.code = data.indicators.some(function (i) { return i.code === "suolo_consumato_pct"; }) ? "suolo_consumato_pct" : data.indicators[0].code;
      $("ind-code").value = state.code;
      fillLevels();
      box.dataset.ready = "1";
    }).catch(function (err) { $("ind-note").textContent = T.error + ": " + err.message; });
  }
  $("ind-code").addEventListener("change", function (e) { state.code = e.target.value; state.selected = null; state.compare = null; fillLevels(); draw(); });
  $("ind-level").addEventListener("change", function (e) { state.level = e.target.value; state.selected = null; state.compare = null; fillPeriods(); draw(); });
  $("ind-period").addEventListener("change", function (e) { state.period = e.target.value; draw(); });
  $("ind-method").addEventListener("change", function (e) { state.method = e.target.value; classify(); if (state.layer) state.layer.setStyle(styleOf); legend(); });
  $("ind-compare").addEventListener("change", function (e) { state.compare = e.target.value || null; series(); });
  $("ind-clear").addEventListener("click", function () { if (state.layer) { map.removeLayer(state.layer); state.layer = null; box.dataset.drawn = "0"; } });
  $("ind-ranking").addEventListener("click", function (e) {
    const li = e.target.closest("li[data-code]");
    if (li) select({ level: state.level, code: li.dataset.code, name: state.names[li.dataset.code] });
  });
  box.addEventListener("toggle", function () { if (box.open && !state.layer && state.code) draw(); });
  start();
}

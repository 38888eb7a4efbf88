// Panels of the planners' map: layer items, summary with SVG charts, comparison, attribute table, exports.
import { getJSON, pageLang } from "./http.js";

const lang = pageLang();
// Italian format in the Italian UI (1.140.669,50 €), grouping also below 10.000 (CLDR leaves 5000 bare).
const num = new Intl.NumberFormat(lang, { maximumFractionDigits: 2, useGrouping: "always" });
const eur = new Intl.NumberFormat(lang, { style: "currency", currency: "EUR", minimumFractionDigits: 2,
  maximumFractionDigits: 2, useGrouping: "always" });
// Columns whose numbers are codes or years: shown as they are, never grouped ("2.021").
const RAW_NUMBER = /(^|_)(id|year|anno|code|codice|istat|cap)(_|$)/i;
function formatValue(name, v) {
  if (v === null || v === undefined) { return ""; }
  if (typeof v === "number" && !RAW_NUMBER.test(name)) { return /_eur$/.test(name) ? eur.format(v) : num.format(v); }
  return String(v);
}
const SVGNS = "http://www.w3.org/2000/svg";

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
  if (text !== undefined) { e.textContent = text; }
  return e;
}

// Any failed request of the map is said on the map (never a silently stale map or table).
function showError(T, message) {
  const box = document.getElementById("map-error");
  box.textContent = T.request_failed.replace("%(error)s", message); box.hidden = false;
}
function clearError() { const box = document.getElementById("map-error"); box.hidden = true; box.textContent = ""; }

// Registry titles of synthetic layers often say so already ("… (sintetico)"): say it once.
function withSynthetic(title, synthetic, T) {
  return synthetic && !/sintetic|synthetic/i.test(title) ? title + " (" + T.synthetic + ")" : title;
}

function layerItem(l, T, onToggle, onOpacity) {
  const li = el("li", { "data-layer": l.slug });
  const label = el("label");
  const cb = el("input", { type: "checkbox", value: l.slug });
  cb.addEventListener("change", function () { onToggle(cb.checked); });
  label.appendChild(cb);
  label.appendChild(document.createTextNode(" " + l.title + " "));
  li.appendChild(label);
  li.appendChild(el("span", { class: "count" }));
  if (l.synthetic) { li.appendChild(el("span", { class: "synthetic" }, T.synthetic)); }
  if (onOpacity) {
    const op = el("input", { type: "range", min: "0", max: "100", value: "100", class: "opacity",
      "aria-label": T.opacity + " — " + l.title, title: T.opacity });
    op.addEventListener("input", function () { onOpacity(Number(op.value) / 100); });
    li.appendChild(op);
  }
  const legend = el("ul", { class: "legend-items" });
  (l.delivery === "wms" ? [] : l.legend).forEach(function (item) {
    const row = el("li");
    const sw = el("span", { class: "swatch" }); sw.style.background = item.color;
    row.appendChild(sw); row.appendChild(document.createTextNode(" " + (item.label || "")));
    legend.appendChild(row);
  });
  li.appendChild(legend);
  if (l.delivery === "wms") {  // MapServer's own legend of the raster's classes (GetLegendGraphic)
    li.appendChild(el("img", { class: "legend-graphic", src: l.links.legend_graphic, alt: T.legend_of + " " + l.title }));
  }
  return li;
}

// Horizontal bar chart in plain SVG (no chart library, no CDN). Rows without a value get no bar:
// a missing amount is not 0 € (the caller states them in words).
function barChart(container, rows, format) {
  container.replaceChildren();
  rows = rows.filter(function (r) { return r.value > 0; });
  if (!rows.length) { container.textContent = "—"; return; }
  const max = Math.max.apply(null, rows.map(function (r) { return r.value; })) || 1;
  const h = 22, w = 280, svg = document.createElementNS(SVGNS, "svg");
  svg.setAttribute("viewBox", "0 0 " + w + " " + rows.length * h); svg.setAttribute("width", "100%");
  rows.forEach(function (r, i) {
    const bar = document.createElementNS(SVGNS, "rect");
    bar.setAttribute("x", 0); bar.setAttribute("y", i * h + 12); bar.setAttribute("height", 8);
    bar.setAttribute("width", Math.max(1, (r.value / max) * w)); bar.setAttribute("fill", "#0b6e99");
    const t = document.createElementNS(SVGNS, "text");
    t.setAttribute("x", 0); t.setAttribute("y", i * h + 10); t.setAttribute("font-size", "10");
    t.textContent = r.label + ": " + format(r.value) + (r.note ? " (" + r.note + ")" : "");
    const g = document.createElementNS(SVGNS, "g"); g.setAttribute("data-label", r.label); g.setAttribute("data-value", r.value);
    if (r.kind) { g.setAttribute("data-kind", r.kind); }
    if (r.title) { const tt = document.createElementNS(SVGNS, "title"); tt.textContent = r.title; g.appendChild(tt); }
    g.appendChild(bar); g.appendChild(t); svg.appendChild(g);
  });
  container.appendChild(svg);
}

const summary = {
  seq: 0,
  load: function (url, T) {
    const mine = ++summary.seq;
    const box = document.getElementById("summary"); box.dataset.loading = "1";
    getJSON(url).then(function (body) {
      if (mine !== summary.seq) { return; }
      const s = body.summary;
      const set = function (f, v, raw) { const d = box.querySelector('[data-field="' + f + '"]'); d.textContent = v; d.dataset.value = raw; };
      const nOfM = function (n, m) { return T.n_of_m_without_amount.replace("%(n)s", num.format(n)).replace("%(m)s", num.format(m)); };
      set("n_interventions", num.format(s.n_interventions), s.n_interventions);
      set("amount_eur", eur.format(s.amount_eur), s.amount_eur);
      set("n_without_amount", nOfM(s.n_without_amount, s.n_interventions), s.n_without_amount);
      set("per_inhabitant_eur", s.per_inhabitant_eur === null ? "—" : eur.format(s.per_inhabitant_eur), s.per_inhabitant_eur);
      set("population", num.format(s.population), s.population);
      set("n_comuni", num.format(s.n_comuni), s.n_comuni);
      set("area_km2", s.area_km2 === null ? "—" : num.format(s.area_km2) + " " + T.km2, s.area_km2);
      set("density", s.density === null ? "—" : num.format(Math.round(s.density)) + " " + T.per_km2, s.density);
      document.getElementById("per-inhabitant-note").textContent = T.per_inhabitant_covers
        .replace("%(n)s", num.format(s.n_interventions - s.n_without_amount)).replace("%(m)s", num.format(s.n_interventions))
        .replace("%(pop)s", num.format(s.population)).replace("%(k)s", num.format(s.n_comuni));
      barChart(document.getElementById("chart-sources"), s.by_source.map(function (r) {
        const note = T.source_row.replace("%(n)s", num.format(r.n)) +
          (r.n_without_amount ? ", " + nOfM(r.n_without_amount, r.n) : "");
        return { label: r.source, value: r.amount_eur, note: note, kind: r.kind,
          title: r.combinations && r.combinations.length ? r.combinations.join("\n") : "" };
      }), eur.format);
      const missing = document.getElementById("sources-without-amount"); missing.replaceChildren();
      s.by_source.filter(function (r) { return !(r.amount_eur > 0); }).forEach(function (r) {
        const li = el("li", { "data-source": r.source }, T.source_no_amount.replace("%(source)s", r.source)
          .replace("%(n)s", num.format(r.n_without_amount)).replace("%(m)s", num.format(r.n)));
        if (r.combinations && r.combinations.length) { li.title = r.combinations.join("\n"); }
        missing.appendChild(li);
      });
      barChart(document.getElementById("chart-opportunities"),
        s.opportunities.map(function (r) { return { label: r.label, value: r.ha }; }), num.format);
      box.dataset.filter = body.filter ? new URLSearchParams(body.filter).toString() : "";
      delete box.dataset.loading;
      document.getElementById("filter-error").hidden = true;
    }).catch(function (err) {
      // A filter the server refuses (e.g. an amount that is not a number): say why, next to the filters.
      const msg = document.getElementById("filter-error");
      msg.textContent = T.error + ": " + err.message; msg.hidden = false;
      showError(T, err.message);
      document.getElementById("filters-box").open = true;
      delete box.dataset.loading;
    });
  },
};

const compare = {
  update: function (api, params, state, T) {
    const out = document.getElementById("compare-result");
    out.replaceChildren();
    if (!state.compare) { return; }
    const a = state.comune ? "comune:" + state.comune : (state.zona ? "zona:" + state.zona : "");
    if (!a) { out.textContent = T.compare_need_selection; return; }
    const q = new URLSearchParams(params); q.delete("zona"); q.delete("comune"); q.set("a", a); q.set("b", state.compare);
    getJSON(api + "confronto?" + q.toString()).then(function (body) {
      const sel = document.getElementById("compare-with");
      const names = [document.getElementById("selection-title").textContent, sel.options[sel.selectedIndex].text];
      const table = el("table", { class: "compare" });
      const head = el("tr"); head.appendChild(el("th")); names.forEach(function (n) { head.appendChild(el("th", {}, n)); });
      table.appendChild(head);
      const rows = [[T.interventions, "n_interventions", num.format], [T.funding, "amount_eur", eur.format],
        [T.per_inhabitant, "per_inhabitant_eur", eur.format], [T.population, "population", num.format], [T.comuni, "n_comuni", num.format]];
      rows.forEach(function (r) {
        const tr = el("tr", { "data-field": r[1] }); tr.appendChild(el("th", {}, r[0]));
        [body.a.summary, body.b.summary].forEach(function (s) { tr.appendChild(el("td", {}, s[r[1]] === null ? "—" : r[2](s[r[1]]))); });
        table.appendChild(tr);
      });
      body.a.summary.opportunities.forEach(function (o, i) {
        const tr = el("tr", { "data-field": "ha-" + o.kind }); tr.appendChild(el("th", {}, o.label + " (ha)"));
        tr.appendChild(el("td", {}, num.format(o.ha))); tr.appendChild(el("td", {}, num.format(body.b.summary.opportunities[i].ha)));
        table.appendChild(tr);
      });
      out.appendChild(table);
    }).catch(function (err) { out.textContent = T.error + ": " + err.message; });
  },
};

// Attribute table: server-side pages of 20 rows, optionally limited to the map extent; CSV of the same rows.
// Sorting by any column (header click), a text filter per column, a click on a row zooms to its feature.
const table = {
  size: 20, offset: 0, params: new URLSearchParams(), api: "", map: null, T: null, seq: 0, lastUrl: "", shown: null,
  sort: "", dir: "asc", colFilters: {}, headFor: "", onRowClick: null, onFiltersChanged: null, timer: null,
  init: function (api, map, T) {
    table.api = api; table.map = map; table.T = T;
    document.getElementById("table-layer").addEventListener("change", function () {
      table.offset = 0; table.sort = ""; table.colFilters = {}; table.load();
      if (table.onFiltersChanged) { table.onFiltersChanged(); }
    });
    document.getElementById("table-extent").addEventListener("change", function () { table.offset = 0; table.load(); });
    document.getElementById("table-prev").addEventListener("click", function () { table.offset = Math.max(0, table.offset - table.size); table.load(); });
    document.getElementById("table-next").addEventListener("click", function () { table.offset += table.size; table.load(); });
  },
  layersChanged: function (all) {
    const active = all.filter(function (l) { return l.delivery !== "wms"; });  // rasters have no rows
    const sel = document.getElementById("table-layer"), current = sel.value;
    sel.replaceChildren();
    active.forEach(function (l) { sel.appendChild(el("option", { value: l.slug }, l.title)); });
    if (active.some(function (l) { return l.slug === current; })) { sel.value = current; } else { table.offset = 0; }
    table.load();
  },
  selectionChanged: function (params) { table.params = params; table.offset = 0; table.load(); },
  extentChanged: function () { if (document.getElementById("table-extent").checked) { table.offset = 0; table.load(); } },
  query: function () {
    const q = new URLSearchParams(table.params);
    if (document.getElementById("table-extent").checked) { q.set("bbox", table.map.getBounds().toBBoxString()); }
    if (table.sort) { q.set("sort", table.sort); q.set("dir", table.dir); }
    Object.keys(table.colFilters).forEach(function (k) { if (table.colFilters[k]) { q.set("col." + k, table.colFilters[k]); } });
    return q;
  },
  setColumnFilter: function (name, value) {
    if (value) { table.colFilters[name] = value; } else { delete table.colFilters[name]; }
    const input = document.querySelector('#attr-table thead input[data-col="' + name + '"]');
    if (input && input.value !== (value || "")) { input.value = value || ""; }
    table.offset = 0; table.load();
    if (table.onFiltersChanged) { table.onFiltersChanged(); }
  },
  header: function (slug, columns) {
    const thead = document.querySelector("#attr-table thead");
    if (table.headFor === slug + "|" + columns.map(function (c) { return c.name; }).join(",")) {
      thead.querySelectorAll("input[data-col]").forEach(function (input) {  // the filters as they are now
        const value = table.colFilters[input.dataset.col] || "";
        if (input.value !== value) { input.value = value; }
      });
      table.markSort(); return;
    }
    table.headFor = slug + "|" + columns.map(function (c) { return c.name; }).join(",");
    thead.replaceChildren();
    const names = el("tr"), filters = el("tr", { class: "col-filters" });
    columns.forEach(function (c) {
      const th = el("th", { "data-col": c.name });
      const b = el("button", { type: "button", class: "sort", "data-col": c.name, title: table.T.sort_by }, c.label);
      b.addEventListener("click", function () {
        table.dir = table.sort === c.name && table.dir === "asc" ? "desc" : "asc"; table.sort = c.name;
        table.offset = 0; table.load();
      });
      th.appendChild(b); names.appendChild(th);
      const fth = el("th"), input = el("input", { type: "search", "data-col": c.name, "aria-label": table.T.filter_column + " " + c.label,
        placeholder: table.T.filter_placeholder });
      input.value = table.colFilters[c.name] || "";
      input.addEventListener("input", function () {
        clearTimeout(table.timer);
        table.timer = setTimeout(function () { table.setColumnFilter(c.name, input.value.trim()); }, 350);
      });
      fth.appendChild(input); filters.appendChild(fth);
    });
    thead.appendChild(names); thead.appendChild(filters);
    table.markSort();
  },
  markSort: function () {
    document.querySelectorAll("#attr-table thead button.sort").forEach(function (b) {
      const on = b.dataset.col === table.sort;
      b.dataset.sorted = on ? table.dir : "";
      b.setAttribute("aria-sort", on ? (table.dir === "asc" ? "ascending" : "descending") : "none");
    });
  },
  load: function () {
    const slug = document.getElementById("table-layer").value, T = table.T;
    const tbody = document.querySelector("#attr-table tbody"), thead = document.querySelector("#attr-table thead");
    const info = document.getElementById("table-info"), csv = document.getElementById("table-csv");
    if (!slug) { tbody.replaceChildren(); thead.replaceChildren(); info.textContent = ""; table.lastUrl = ""; table.shown = null; return; }
    const q = table.query();
    const csvq = new URLSearchParams(q); csvq.set("format", "csv");
    csvq.set("lang", pageLang());
    csv.href = table.api + "strati/" + slug + "/elementi?" + csvq.toString();
    q.set("geometry", "0"); q.set("limit", table.size); q.set("offset", table.offset);
    const mine = ++table.seq;
    // The same page of the same selection, asked again, is the answer already received (http.js reuse);
    // the map's layer count reads it too when it is this layer's first page (webmap.js countLayer).
    table.lastUrl = table.api + "strati/" + slug + "/elementi?" + q.toString();
    getJSON(table.lastUrl, { reuse: true }).then(function (fc) {
      if (mine !== table.seq) { return; }
      table.header(slug, fc.columns);
      // The very answer already on screen (the same page asked again, http.js reuse): its rows stay, unselected.
      if (table.shown === fc) {
        tbody.querySelectorAll("tr.selected").forEach(function (r) { r.classList.remove("selected"); });
        return;
      }
      table.shown = fc;
      tbody.replaceChildren();
      fc.features.forEach(function (f) {
        const row = el("tr", { "data-id": f.id, tabindex: "0" });
        row.addEventListener("click", function () {
          document.querySelectorAll("#attr-table tbody tr.selected").forEach(function (r) { r.classList.remove("selected"); });
          row.classList.add("selected");
          if (table.onRowClick) { table.onRowClick(slug, f.id); }
        });
        fc.columns.forEach(function (c) {
          const v = f.properties[c.name];
          const td = el("td", { "data-col": c.name }, c.name === "location_precision" && T.precision[v] ? T.precision[v] : formatValue(c.name, v));
          if (typeof v === "number") { td.className = "num"; }
          row.appendChild(td);
        });
        tbody.appendChild(row);
      });
      const total = fc.numberMatchedIsExact ? num.format(fc.numberMatched) : T.more_than.replace("%(n)s", num.format(fc.numberMatched));
      info.textContent = fc.numberReturned ? T.rows.replace("%(from)s", table.offset + 1)
        .replace("%(to)s", table.offset + fc.numberReturned).replace("%(total)s", total) : T.no_rows;
      info.dataset.total = fc.numberMatched;
      document.getElementById("table-prev").disabled = table.offset === 0;
      document.getElementById("table-next").disabled = table.offset + fc.numberReturned >= fc.numberMatched;
    }).catch(function (err) {
      if (mine !== table.seq) { return; }
      table.shown = null;
      tbody.replaceChildren();  // never a stale table under a new selection
      info.textContent = T.error + ": " + err.message; info.dataset.total = "";
      showError(T, err.message);
    });
  },
};

function popupContent(body, T, onSelect, onResize, onMove) {
  const box = el("div", { class: "identify" });
  if (body.comune) {
    const c = body.comune;
    box.appendChild(el("p", { class: "comune" }, c.name + " · " + c.zona));
    const b1 = el("button", { type: "button", "data-action": "select-comune" }, T.select_comune);
    b1.addEventListener("click", function () { onSelect("", c.istat_code); });
    const b2 = el("button", { type: "button", "data-action": "select-zona" }, T.select_zona);
    b2.addEventListener("click", function () { onSelect(c.zona_code, ""); });
    box.appendChild(b1); box.appendChild(b2);
  }
  if (!body.results.length) { box.appendChild(el("p", { class: "note" }, T.nothing_here)); }
  body.results.forEach(function (r) {
    box.appendChild(el("h4", { "data-layer": r.layer }, withSynthetic(r.title, r.synthetic, T)));
    r.features.forEach(function (f) {
      const dl = el("dl", { "data-id": f.id });
      Object.keys(f.properties).forEach(function (k) {
        const v = f.properties[k];
        if (v === null || v === "" || k === "synthetic") { return; }
        const shown = k === "location_precision" && T.precision[v] ? T.precision[v] : formatValue(k, v);
        dl.appendChild(el("dt", {}, r.labels[k] || k)); dl.appendChild(el("dd", { "data-field": k }, shown));
      });
      box.appendChild(dl);
      if (r.nearby) { box.appendChild(nearbyButton(r.nearby, f.id, T, onResize)); }
      if (onMove && r.layer === "realizzazioni") {
        const mv = el("button", { type: "button", "data-action": "move", "data-id": f.id }, T.move);
        mv.addEventListener("click", function () { onMove(f.id, f.properties); });
        box.appendChild(mv);
      }
    });
  });
  return box;
}

// "Projects meet opportunities": what is near this intervention or opportunity (1 km).
function nearbyButton(path, id, T, onResize) {
  const wrap = el("div", { class: "nearby" });
  const btn = el("button", { type: "button", "data-action": "nearby" }, T.nearby);
  btn.addEventListener("click", function () {
    getJSON("/api/" + path + "/" + id + "/vicinanze?distance=1000").then(function (body) {
      btn.remove();
      const groups = body.opportunities ? [[T.opportunities_near, body.opportunities, "name"]]
        : [[T.interventions, body.interventions, "title"], [T.stations, body.stations, "name"], ["LUM", body.lum, "name"]];
      groups.forEach(function (g) {
        wrap.appendChild(el("h5", {}, g[0] + " (" + g[1].length + ")"));
        const ul = el("ul", { "data-group": g[0] });
        g[1].slice(0, 10).forEach(function (row) {
          ul.appendChild(el("li", {}, (row[g[2]] || row.kind) + " · " + num.format(row.distance_m) + " m"));
        });
        wrap.appendChild(ul);
      });
      if (onResize) { onResize(); }
    }).catch(function (err) { wrap.textContent = T.error + ": " + err.message; });
  });
  wrap.appendChild(btn);
  return wrap;
}

// Legend rows: one per layer, then one per class when the layer is classified.
function legendRows(active, T) {
  const rows = [];
  active.forEach(function (l) {
    const single = l.legend.length <= 1;
    rows.push({ color: single && l.legend[0] ? l.legend[0].color : null,
      text: withSynthetic(l.title, l.synthetic, T), indent: 0 });
    if (!single) { l.legend.forEach(function (e) { rows.push({ color: e.color, text: e.label, indent: 1 }); }); }
  });
  return rows;
}

function legend(active, T) {
  const box = document.getElementById("print-legend"); box.replaceChildren();
  legendRows(active, T).forEach(function (r) {
    const p = el("p", { class: r.indent ? "sub" : "" });
    if (r.color) { const sw = el("span", { class: "swatch" }); sw.style.background = r.color; p.appendChild(sw); }
    p.appendChild(document.createTextNode(" " + r.text));
    box.appendChild(p);
  });
}

// PNG export drawn client-side: basemap tiles and vector canvases as on screen, then title and legend.
function exportPng(map, title, active, T) {
  const mapEl = map.getContainer(), box = mapEl.getBoundingClientRect();
  const rows = legendRows(active, T);
  const legendH = 24 + rows.length * 18, out = document.createElement("canvas");
  out.width = Math.round(box.width); out.height = Math.round(box.height) + 40 + legendH;
  const ctx = out.getContext("2d");
  ctx.fillStyle = "#fff"; ctx.fillRect(0, 0, out.width, out.height);
  ctx.fillStyle = "#111"; ctx.font = "bold 18px sans-serif"; ctx.fillText(title, 10, 26);
  ctx.save(); ctx.translate(0, 40);
  ctx.fillStyle = "#eef2f3"; ctx.fillRect(0, 0, box.width, box.height);
  // Canvases and tiles reach beyond the map's edges (renderer padding): draw only inside its frame.
  ctx.beginPath(); ctx.rect(0, 0, box.width, box.height); ctx.clip();
  mapEl.querySelectorAll(".leaflet-tile-pane img.leaflet-tile-loaded, canvas").forEach(function (node) {
    const r = node.getBoundingClientRect();
    try { ctx.drawImage(node, r.left - box.left, r.top - box.top, r.width, r.height); } catch (e) { /* tainted tile */ }
  });
  ctx.restore();
  let y = box.height + 40 + 20;
  ctx.font = "13px sans-serif";
  rows.forEach(function (r) {
    const x = 10 + r.indent * 18;
    if (r.color) { ctx.fillStyle = r.color; ctx.fillRect(x, y - 10, 12, 12); }
    ctx.fillStyle = "#111"; ctx.fillText(r.text, x + 18, y); y += 18;
  });
  ctx.fillStyle = "#555"; ctx.fillText("Remix · Città metropolitana di Milano · " + new Date().toISOString().slice(0, 10), 10, out.height - 6);
  let url;
  try { url = out.toDataURL("image/png"); } catch (e) { document.getElementById("status").textContent = T.error; return; }
  const link = document.getElementById("export-png"), img = document.getElementById("export-preview");
  link.href = url; link.hidden = false; link.textContent = T.exported;
  img.src = url; img.dataset.width = out.width; img.dataset.height = out.height;
}

export { layerItem, summary, compare, table, popupContent, legend, exportPng, barChart, formatValue, num, eur,
showError, clearError };

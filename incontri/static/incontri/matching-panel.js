// The matching panel of the planners' map: for an intervention its best opportunity areas, for an
// area the interventions that fit it, a ranked list per zona. Every score shows its "perché".
import { getJSON } from "../remix/http.js";
import { map } from "../remix/webmap.js";

const cfgEl = document.getElementById("incontri-config");
if (cfgEl) { setup(JSON.parse(cfgEl.textContent)); }

function setup(CFG) {
  const T = CFG.strings, API = CFG.api;
  const lang = (document.documentElement.lang || "it").slice(0, 2);
  const nf = new Intl.NumberFormat(lang === "en" ? "en-GB" : "it-IT", { maximumFractionDigits: 2 });
  const markers = L.layerGroup().addTo(map);
  let picking = false;

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  const box = el("section", { id: "incontri-panel", "class": "incontri-panel", "aria-label": T.title });
  box.appendChild(el("h2", {}, T.title));
  const realLabel = el("label", { "for": "incontri-realizzazione" }, T.realizzazione);
  const realSelect = el("select", { id: "incontri-realizzazione" });
  const bestBtn = el("button", { type: "button", id: "incontri-best" }, T.best_areas);
  const gpkg = el("a", { id: "incontri-gpkg", hidden: "" }, T.gpkg);
  const pickBtn = el("button", { type: "button", id: "incontri-pick" }, T.pick_area);
  const zonaSelect = el("select", { id: "incontri-zona", "aria-label": T.zona });
  zonaSelect.appendChild(el("option", { value: "" }, T.zona + "…"));
  CFG.zone.forEach(function (z) { zonaSelect.appendChild(el("option", { value: z.code }, z.name)); });
  const out = el("div", { id: "incontri-results", "aria-live": "polite" });
  [realLabel, realSelect, bestBtn, gpkg, pickBtn, zonaSelect, out].forEach(function (n) { box.appendChild(n); });

  const Control = L.Control.extend({ options: { position: "topright" },
    onAdd: function () { L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box); return box; } });
  new Control().addTo(map);

  function breakdown(m) {
    const d = el("details", { "class": "why" });
    d.appendChild(el("summary", {}, T.why));
    const ul = el("ul");
    m.breakdown.forEach(function (p) {
      ul.appendChild(el("li", {}, p.label + ": " + nf.format(p.points) + " / " + nf.format(p.weight) + " — " + p.why));
    });
    d.appendChild(ul);
    return d;
  }
  function areaItem(area, score, m) {
    const li = el("li", { "data-area": area.kind + ":" + area.id });
    const a = el("a", { href: "#" }, area.name + " (" + area.kind_label + ")");
    a.addEventListener("click", function (e) { e.preventDefault(); if (area.point) { map.setView([area.point[1], area.point[0]], 15); } });
    li.appendChild(a);
    li.appendChild(document.createTextNode(" — " + T.score + " " + nf.format(score) + "/100"));
    if (m) { li.appendChild(breakdown(m)); }
    if (area.kind === "ambiti_trasformazione") {
      li.appendChild(document.createTextNode(" · "));
      li.appendChild(el("a", { href: CFG.bilancio + "?feature=" + area.id }, T.bilancio));
    }
    // The name as a text node: Leaflet would parse a string as HTML.
    if (area.point) { markers.addLayer(L.circleMarker([area.point[1], area.point[0]], { radius: 7, color: "#c51b7d" }).bindTooltip(el("span", {}, area.name))); }
    return li;
  }
  function statsList(stats) {
    const st = el("ul", { "class": "stats" });
    stats.forEach(function (s) {
      if (s.mean === null) { return; }
      st.appendChild(el("li", {}, s.title + ": " + T.mean + " " + nf.format(s.mean) + ", " + T.max + " " + nf.format(s.max) +
        ", " + nf.format(100 * s.share_above) + "% " + T.above + " (" + nf.format(s.threshold) + ")"));
    });
    return st;
  }
  // Identify popup: the zonal statistics of each opportunity area (or NIL) it lists, which the identify answer
  // carries (statistics=1: one request for the whole popup).
  map.on("remix:identify", function (e) {
    const sets = CFG.zonal_layers || {};
    let added = false;
    e.body.results.forEach(function (r) {
      if (!sets[r.layer] || !r.statistics) { return; }
      const ids = r.features.map(function (f) { return f.id; })
        .filter(function (id) { return id !== null && id !== undefined; }).slice(0, 100);
      ids.forEach(function (id) {
        const rows = (r.statistics[String(id)] || []).filter(function (s) { return s.mean !== null; });
        if (!rows.length) { return; }
        const dl = e.element.querySelector('dl[data-id="' + id + '"]');
        const wrap = el("div", { "class": "zonal-stats", "data-id": String(id) });
        wrap.appendChild(el("h5", {}, T.stats)); wrap.appendChild(statsList(rows));
        if (dl && dl.nextSibling) { dl.parentNode.insertBefore(wrap, dl.nextSibling); } else { e.element.appendChild(wrap); }
        added = true;
      });
    });
    if (added) { e.update(); }
  });
  function show(list) { out.replaceChildren(list); }
  function fail(err) { out.replaceChildren(el("p", { "class": "error" }, T.error + ": " + err.message)); }

  Promise.all([getJSON(API + "realizzazioni"), getJSON(API + "idee")]).then(function (res) {
    const real = el("optgroup", { label: T.realizzazioni }), ideas = el("optgroup", { label: T.ideas });
    res[0].realizzazioni.forEach(function (r) { real.appendChild(el("option", { value: "realizzazioni/" + r.id }, r.code + " – " + r.title.slice(0, 60))); });
    res[1].ideas.forEach(function (i) { ideas.appendChild(el("option", { value: "idee/" + i.id }, i.title.slice(0, 60) + " (" + i.comune + ")")); });
    realSelect.appendChild(real);
    if (res[1].ideas.length) { realSelect.appendChild(ideas); }
  }).catch(fail);

  bestBtn.addEventListener("click", function () {
    markers.clearLayers();
    const id = realSelect.value;
    getJSON(API + id + "/aree").then(function (body) {
      const ol = el("ol", { "class": "matches" });
      body.matches.forEach(function (m) { ol.appendChild(areaItem(m.area, m.score, m)); });
      if (!body.matches.length) { ol.appendChild(el("li", {}, T.none)); }
      show(ol);
      gpkg.hidden = id.indexOf("realizzazioni/") !== 0;
      gpkg.href = API + id + "/aree.gpkg";
    }).catch(fail);
  });

  pickBtn.addEventListener("click", function () { picking = true; out.replaceChildren(el("p", { "class": "note" }, T.click_area)); });
  map.on("click", function (e) {
    if (!picking) { return; }
    picking = false; markers.clearLayers();
    getJSON(API + "area-al-punto?lon=" + e.latlng.lng.toFixed(6) + "&lat=" + e.latlng.lat.toFixed(6)).then(function (body) {
      if (!body.area) { show(el("p", {}, T.no_area)); return; }
      const wrap = el("div");
      wrap.appendChild(el("h3", {}, body.area.name + " (" + body.area.kind_label + ")"));
      if (body.statistics.length) { wrap.appendChild(el("h4", {}, T.stats)); wrap.appendChild(statsList(body.statistics)); }
      wrap.appendChild(el("h4", {}, T.fitting));
      const ol = el("ol", { "class": "matches" });
      body.projects.forEach(function (m) {
        const li = el("li", {}, m.project.title + " — " + T.score + " " + nf.format(m.score) + "/100");
        li.appendChild(breakdown(m)); ol.appendChild(li);
      });
      if (!body.projects.length) { ol.appendChild(el("li", {}, T.none)); }
      wrap.appendChild(ol);
      if (body.programmes.length) {
        wrap.appendChild(el("h4", {}, T.programmes));
        const pl = el("ul", { "class": "programmes" });
        body.programmes.forEach(function (p) {
          pl.appendChild(el("li", {}, p.programme + " (" + p.interventions + ") — " + T.score + " " + nf.format(p.best_score)));
        });
        wrap.appendChild(pl);
      }
      if (body.area.kind === "ambiti_trasformazione") { wrap.appendChild(el("a", { href: CFG.bilancio + "?feature=" + body.area.id }, T.bilancio)); }
      show(wrap);
    }).catch(fail);
  });

  zonaSelect.addEventListener("change", function () {
    markers.clearLayers();
    if (!zonaSelect.value) { return; }
    const code = encodeURIComponent(zonaSelect.value);
    Promise.all([getJSON(API + "zone/" + code + "/classifica"), getJSON(API + "statistiche/zone/" + code)]).then(function (res) {
      const body = res[0], wrap = el("div");
      if (res[1].statistics.length) { wrap.appendChild(el("h4", {}, T.stats)); wrap.appendChild(statsList(res[1].statistics)); }
      const ol = el("ol", { "class": "matches" });
      body.ranking.forEach(function (r) {
        const li = areaItem(r.area, r.score, r.best);
        if (r.best) { li.insertBefore(el("span", { "class": "note" }, " ← " + r.best.project.title + " "), li.children[1] || null); }
        ol.appendChild(li);
      });
      if (!body.ranking.length) { ol.appendChild(el("li", {}, T.none)); }
      wrap.appendChild(ol);
      show(wrap);
    }).catch(fail);
  });
}

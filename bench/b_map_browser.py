"""map_browser: what the planner feels on /mappa/ in headless Chromium, against a bare Leaflet page.

The full-scale PGT set (one layer, six classes, read through its overviews) is served by gunicorn; each
run opens /mappa/ in a fresh browser context (empty browser cache) and times, from the action to the
map's idle signal (``<html data-remix-idle>`` incremented by static/remix/webmap.js when no fetch, tile
load or move is pending and a frame is painted): switching the PGT layer on over the whole CMM, a switch
of zona, a switch of comune, an identify click and opening the attribute table on the layer.

Anchor, in the same run: a bare Leaflet page served as static files (``python -m http.server``) draws what the map
drew, from the responses the map got in an untimed capture run, written to disk — the browser's own limit. The
page's load is replayed untimed (as the map's is: its default layers drawn), then each step, with the map's view
(center, zoom, the same map size):
- every tile of every tile layer (the bench PGT layer and the registry's PGT views on by default), written as bytes
  to ``tiles/<step>/<slug>/z/x/y.pbf`` (<step>: the first step that asked that layer with that filter, so the same
  z/x/y of two selections are two files), drawn by one Leaflet.VectorGrid layer per tile layer (canvas tiles; the
  bench layer in its class colours, the others plain), made anew when the layer's URL changed (a new selection),
  as the map does. Its ``bounds`` are the box of the tiles the map asked at that zoom, so it asks those tiles and
  no others: ``details`` give the tiles the map asked per layer, the tiles the anchor fetched, and any it asked
  that the map did not (404s from the static server; 0 in the runs of 2026-12-03);
- every page of features with geometry (``/api/strati/<slug>/elementi``, the comuni's GeoJSON), drawn anew per
  step by a GeoJSON layer per slug on a canvas, pages added in order of offset; point layers as circle markers
  clustered by the map's own Leaflet.markercluster (same options, same one marker per comune-placed
  intervention), so the 1,000+ interventions of a zona are clustered on both sides;
- every other JSON body (counts, summaries, extents, identify, table rows) fetched, parsed and printed.
A step resolves once all of that is fetched and added, its tile layers loaded and a frame painted. Ratio = anchor /
project time (higher is better), median and p95 of the runs; the note gives the absolute medians. Each step is one
``page.evaluate`` on both sides (see ``STEP``); runs alternate project and anchor, each in a fresh context.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from . import Context, Result
from .b_mvt_lowzoom import SLUG, _layer
from .mapdata import ROOT, bench_database, http_server

STEPS = ("layer_on", "zona", "comune", "identify", "table")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # basemaps are external: they fail at once, as on a machine without network (both sides alike)
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
TIMEOUT_MS = 60_000
IDLE = "document.documentElement.dataset.remixIdle"
# One step of /mappa/ in ONE page.evaluate, as each anchor step is (``window.step``, a promise resolved once its
# tiles and JSON are in and a frame is painted): what a user's input does (a checkbox ticked, a select / text
# field given a value and committed — the "change" event the page listens to — or a click on the map), then a
# promise resolved by the page's idle signal (the "remix:idle" event with nothing in flight). Both sides thus
# pay one round trip to the browser per step; polling for the signal (wait_for_function, at each animation
# frame, then a second round trip) would add up to a frame and a round trip to this side only.
STEP = """([kind, selector, value, timeoutMs]) => new Promise((resolve, reject) => {
  const html = document.documentElement;
  const seq = Number(html.dataset.remixIdle || 0);
  const timer = setTimeout(() => reject(new Error("no idle signal within " + timeoutMs + " ms")), timeoutMs);
  const check = () => {
    if (Number(html.dataset.remixIdle || 0) > seq && html.dataset.remixBusy === "0") {
      document.removeEventListener("remix:idle", check); clearTimeout(timer); resolve();
    }
  };
  document.addEventListener("remix:idle", check);
  if (kind === "click") { RemixMap.fire("click", {latlng: L.latLng(selector, value)}); return; }
  const el = document.querySelector(selector);
  if (value === "check") { el.checked = true; } else { el.value = value; }
  el.dispatchEvent(new Event("input", {bubbles: true}));
  el.dispatchEvent(new Event("change", {bubbles: true}));
})"""
WAIT_IDLE = f"n => Number({IDLE} || 0) > n && document.documentElement.dataset.remixBusy === '0'"

ANCHOR_HTML = """<!doctype html><html><head><meta charset="utf-8">
<link rel="stylesheet" href="leaflet/leaflet.css"><link rel="stylesheet" href="MarkerCluster.css">
<link rel="stylesheet" href="MarkerCluster.Default.css">
<style>body{margin:0}#map{width:%(width)dpx;height:%(height)dpx}</style></head>
<body><div id="map"></div><pre id="out"></pre>
<script src="leaflet/leaflet.js"></script><script src="Leaflet.VectorGrid.bundled.min.js"></script>
<script src="leaflet.markercluster.js"></script>
<script>
const STYLE = %(style)s, BENCH = "%(slug)s";
const PLAIN = {fill: true, weight: 0.5, fillOpacity: 0.4, color: "#555", fillColor: "#999", radius: 3};
const map = L.map("map", {preferCanvas: true, maxZoom: 19}).setView([45.46, 9.19], 10);
const canvas = L.canvas({padding: 0.2});
const grids = {}, vectors = {};  // slug -> the tile layer / GeoJSON layer drawn now
// Tiles fetched from disk, and tiles asked that are not on disk (404 from http.server: the map never asked them).
let fetched = 0, missing = 0;
const realFetch = window.fetch;
window.fetch = function (u, o) {
  return realFetch(u, o).then(function (r) {
    if (/[.]pbf$/.test(String(u))) { if (r.ok) { fetched += 1; } else { missing += 1; } }
    return r;
  });
};
function style(slug) {
  return slug === BENCH
    ? function (p) { const c = STYLE[p.layer] || "#888"; return Object.assign({}, PLAIN, {fillColor: c, color: c, fillOpacity: 0.6}); }
    : function () { return PLAIN; };
}
function bounds(b) { return b ? L.latLngBounds([b[1], b[0]], [b[3], b[2]]) : undefined; }
// A point layer as the map draws it: one circle marker per point on a canvas, clustered by Leaflet.markercluster;
// an intervention placed at its comuni (a MultiPoint of precision "comune") is one marker, at the middle comune.
function onePoint(f) {
  const g = f.geometry;
  if (!g || g.type !== "MultiPoint" || g.coordinates.length < 2 || f.properties.location_precision !== "comune") { return f; }
  const cs = g.coordinates, mx = cs.reduce(function (a, c) { return a + c[0]; }, 0) / cs.length,
    my = cs.reduce(function (a, c) { return a + c[1]; }, 0) / cs.length;
  const best = cs.reduce(function (b, c) { return Math.hypot(c[0] - mx, c[1] - my) < Math.hypot(b[0] - mx, b[1] - my) ? c : b; });
  return Object.assign({}, f, {geometry: {type: "Point", coordinates: best}});
}
function vectorLayer(points) {
  if (!points) {
    const g = L.geoJSON(null, {renderer: canvas, interactive: false, style: function () { return PLAIN; }});
    g.add = function (fc) { g.addData(fc); };
    return g;
  }
  const group = L.markerClusterGroup({maxClusterRadius: 40, showCoverageOnHover: false, chunkedLoading: true,
    spiderfyOnMaxZoom: true});
  group.add = function (fc) {
    const markers = [];
    L.geoJSON({type: "FeatureCollection", features: fc.features.map(onePoint)}, {pointToLayer: function (f, ll) {
      const m = L.circleMarker(ll, Object.assign({}, PLAIN, {radius: 5, renderer: canvas})); markers.push(m); return m; }});
    group.addLayers(markers);
  };
  return group;
}
window.step = function (s) {
  return new Promise(function (resolve) {
    let pending = 1;
    const before = [fetched, missing];
    const done = function () { if (--pending === 0) { requestAnimationFrame(function () { setTimeout(function () {
      resolve([fetched - before[0], missing - before[1]]); }, 0); }); } };
    const print = function (b) { document.getElementById("out").textContent = String(JSON.stringify(b)).slice(0, 4000); };
    s.json.forEach(function (u) { pending += 1; fetch(u).then(function (r) { return r.json(); }).then(function (b) { print(b); done(); }, done); });
    // GeoJSON layers asked again in this step are drawn anew (as the map does), their pages added in order as they come.
    Object.keys(s.geojson).forEach(function (slug) {
      const g = s.geojson[slug];
      if (vectors[slug]) { map.removeLayer(vectors[slug]); }
      const layer = vectors[slug] = vectorLayer(g.points).addTo(map);
      const pages = g.pages.map(function (u) { return fetch(u).then(function (r) { return r.json(); }); });
      pages.forEach(function () { pending += 1; });
      pages.reduce(function (prev, page) {
        return prev.then(function () { return page; }).then(function (fc) { print(fc.numberMatched); layer.add(fc); })
          .catch(function (err) { console.error(String(err)); }).then(done);
      }, Promise.resolve());
    });
    // A tile layer whose URL changed in this step (another selection) is drawn anew from that step's tiles, after the
    // move; the same URL keeps its layer (a move asks the new tiles of the view). Bounds: those of the tiles the map asked.
    const fresh = [];
    Object.keys(s.tiles).forEach(function (slug) {
      const t = s.tiles[slug], grid = grids[slug];
      if (grid && grid.remixUrl === t.url) { grid.options.bounds = bounds(t.bounds); return; }
      if (grid) { map.removeLayer(grid); delete grids[slug]; }
      fresh.push(slug);
    });
    map.setView(s.center, s.zoom, {animate: false});
    fresh.forEach(function (slug) {
      const t = s.tiles[slug];
      const grid = grids[slug] = L.vectorGrid.protobuf(t.url + "/{z}/{x}/{y}.pbf", {rendererFactory: L.canvas.tile,
        interactive: false, maxNativeZoom: 16, bounds: bounds(t.bounds), vectorTileLayerStyles: {[slug]: style(slug)}});
      grid.remixUrl = t.url;
      grid.addTo(map);
    });
    Object.keys(s.tiles).forEach(function (slug) {
      const grid = grids[slug];
      if (grid._loading) { pending += 1; grid.once("load", done); }
    });
    done();
  });
};
</script></body></html>
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _pick_targets() -> tuple[str, str, tuple[float, float]]:
    """A zona and a comune (not in it) with the most polygons, and a point inside a polygon of that comune."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("""SELECT z.code, count(*) FROM mappature_pgtfeature f JOIN mappature_comune c
                       ON c.istat_code = f.istat_code JOIN mappature_zonaomogenea z ON z.id = c.zona_id
                       GROUP BY 1 ORDER BY 2 DESC LIMIT 1""")
        zona = cur.fetchone()[0]
        cur.execute(
            """SELECT c.name, c.istat_code FROM mappature_pgtfeature f JOIN mappature_comune c
                       ON c.istat_code = f.istat_code JOIN mappature_zonaomogenea z ON z.id = c.zona_id
                       WHERE z.code <> %s GROUP BY 1, 2
                       ORDER BY count(*) DESC LIMIT 1""",
            [zona],
        )
        name, istat = cur.fetchone()
        cur.execute(
            """SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Transform(ST_PointOnSurface(geom), 4326) p
                       FROM mappature_pgtfeature WHERE istat_code = %s ORDER BY id LIMIT 1) s""",
            [istat],
        )
        lon, lat = cur.fetchone()
    return zona, name, (lat, lon)


def _project_run(browser, base: str, zona: str, comune: str, point, capture: dict | None) -> dict[str, float]:
    """One fresh context: the five interactions, each timed from the action to the map's idle signal."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800}, locale="it-IT", bypass_csp=True)
    page = ctx.new_page()
    log: list[tuple[str, object]] = []
    if capture is not None:

        def on_response(r):
            if r.url.startswith(base) and r.request.resource_type in ("fetch", "xhr") and r.ok:
                with contextlib.suppress(Exception):  # a body the browser dropped is simply not replayed
                    log.append((r.url, r.body()))

        page.on("response", on_response)
    page.goto(f"{base}/mappa/", wait_until="load")
    page.wait_for_function(WAIT_IDLE, arg=0, timeout=TIMEOUT_MS)
    view_js = "(() => { const c = RemixMap.getCenter(); return [[c.lat, c.lng], RemixMap.getZoom()]; })()"
    if capture is not None:  # the page as loaded (default layers drawn): the anchor's untimed start
        page.wait_for_timeout(500)
        view = page.evaluate(view_js)
        capture["load"] = {"center": view[0], "zoom": view[1], "responses": list(log)}
        capture["size"] = page.evaluate("(() => { const s = RemixMap.getSize(); return [s.x, s.y]; })()")
    times: dict[str, float] = {}

    def timed(name, kind, selector, value):
        mark = len(log)
        started = time.perf_counter()
        page.evaluate(STEP, [kind, selector, value, TIMEOUT_MS])
        times[name] = time.perf_counter() - started
        if capture is not None:
            # Playwright may deliver the last response events after the step's promise: let them all in, so
            # that the anchor replays every tile of the step (the capture run is not timed).
            page.wait_for_timeout(500)
            view = page.evaluate(view_js)
            capture[name] = {"center": view[0], "zoom": view[1], "responses": log[mark:]}

    # Each action is one page.evaluate, as each anchor step is: Playwright's own input calls (check,
    # select_option, fill + press) add their actionability checks and round trips (tens of ms) to this side only.
    timed("layer_on", "input", "#layer-tree input[value='" + SLUG + "']", "check")
    timed("zona", "input", "#zona-select", zona)
    timed("comune", "input", "#comune-search", comune)
    timed("identify", "click", point[0], point[1])
    timed("table", "input", "#table-layer", SLUG)
    ctx.close()
    return times


def _tile_box(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """A web-mercator tile's box in degrees (west, south, east, north)."""
    n = 2**z

    def lat(row):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return x / n * 360 - 180, lat(y + 1), (x + 1) / n * 360 - 180, lat(y)


def _write_anchor(site: Path, capture: dict, layer) -> dict[str, dict]:
    """Every captured response to disk, Leaflet's files beside them; the replay plan of the load and of each step.

    A tile (URL path ``/tiles/<slug>/z/x/y.pbf``, written as bytes, never parsed) goes to ``tiles/<step>/<slug>/z/x/y.pbf``,
    where <step> is the first step that asked for that tile URL template (slug + query: the selection filter, so the same
    z/x/y of two selections are two files); a step's plan names, per tile layer, that directory and the box of the tiles
    it asked at the step's zoom (the anchor's tile layer asks only those). A page of features with geometry
    (``/api/strati/<slug>/elementi`` without ``geometry=0``/``limit=0``, or a ``.geojson``) is drawn by the step's
    GeoJSON layer of that slug, clustered when its features are points; any other body is fetched, parsed and printed.
    """
    if site.exists():
        shutil.rmtree(site)
    (site / "json").mkdir(parents=True)
    _copy_leaflet(site)
    vendor = ROOT / "static" / "remix" / "vendor"
    for name in ("Leaflet.VectorGrid.bundled.min.js", "leaflet.markercluster.js", "MarkerCluster.css"):
        shutil.copy(vendor / name, site)
    shutil.copy(vendor / "MarkerCluster.Default.css", site)
    plan, n = {}, 0
    templates: dict[tuple[str, str], str] = {}  # (slug, query) -> directory of its tiles
    for name in ("load", *STEPS):
        step = capture[name]
        urls, tiles, geojson, boxes, counts = [], {}, {}, {}, {}
        for url, body in step["responses"]:
            parts = urlsplit(url)
            path, query = parts.path, parse_qs(parts.query)
            bits = path.strip("/").split("/")
            if bits[0] == "tiles" and len(bits) == 5 and bits[4].endswith(".pbf"):
                slug, z, x, yfile = bits[1:]
                folder = templates.setdefault((slug, parts.query), f"tiles/{name}/{slug}")
                dest = site / folder / z / x / yfile
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(body)
                tiles[slug] = folder
                counts[slug] = counts.get(slug, 0) + 1
                if int(z) == step["zoom"]:
                    boxes.setdefault(slug, []).append(_tile_box(int(z), int(x), int(yfile[:-4])))
                continue
            n += 1
            (site / "json" / f"{n}.json").write_bytes(body)
            features = path.endswith(".geojson") or (
                len(bits) == 4
                and bits[:2] == ["api", "strati"]
                and bits[3] == "elementi"
                and query.get("geometry", [""])[0] != "0"
                and query.get("limit", [""])[0] != "0"
            )
            if features:
                slug = bits[2] if bits[-1] == "elementi" else bits[-1].removesuffix(".geojson")
                kinds = {(f.get("geometry") or {}).get("type") for f in json.loads(body).get("features", [])}
                entry = geojson.setdefault(slug, {"points": False, "pages": [], "offsets": []})
                entry["points"] = entry["points"] or bool(kinds - {None}) and kinds - {None} <= {"Point", "MultiPoint"}
                entry["pages"].append(f"json/{n}.json")
                entry["offsets"].append(int(query.get("offset", ["0"])[0]))
            else:
                urls.append(f"json/{n}.json")
        for entry in geojson.values():  # drawn in order of offset, as the map draws its pages
            entry["pages"] = [p for _, p in sorted(zip(entry.pop("offsets"), entry["pages"], strict=True))]
        shrink = 1e-9  # a box edge on a tile edge does not overlap the neighbour (Leaflet's test is strict)
        plan[name] = {
            "center": step["center"],
            "zoom": step["zoom"],
            "json": urls,
            "geojson": geojson,
            "tiles": {
                slug: {
                    "url": folder,
                    "bounds": [
                        min(b[0] for b in boxes[slug]) + shrink,
                        min(b[1] for b in boxes[slug]) + shrink,
                        max(b[2] for b in boxes[slug]) - shrink,
                        max(b[3] for b in boxes[slug]) - shrink,
                    ]
                    if slug in boxes
                    else None,
                }
                for slug, folder in tiles.items()
            },
            "tiles_per_layer": counts,
        }
    style = {c["value"]: c["fill"] for c in layer.style["classes"]}
    width, height = capture.get("size", (900, 700))
    (site / "plan.json").write_text(json.dumps(plan, indent=1))  # to read what each step replays
    (site / "index.html").write_text(
        ANCHOR_HTML % {"style": json.dumps(style), "slug": SLUG, "width": width, "height": height}
    )
    return plan


def _copy_leaflet(site: Path) -> None:
    """Leaflet as the app serves it (django-leaflet's static files)."""
    import leaflet

    shutil.copytree(Path(leaflet.__file__).parent / "static" / "leaflet", site / "leaflet", dirs_exist_ok=True)


def _anchor_run(browser, base: str, plan: dict, missing: dict | None = None) -> dict[str, float]:
    """One fresh context: the page's load replayed (untimed, as the map's is), then each step timed. ``missing``
    receives, per step, [tiles fetched from disk, tiles asked that the map did not ask (404 from the static server)]."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto(f"{base}/index.html", wait_until="load")
    page.evaluate("s => window.step(s)", plan["load"])
    times = {}
    for name in STEPS:
        started = time.perf_counter()
        missed = page.evaluate("s => window.step(s)", plan[name])
        times[name] = time.perf_counter() - started
        if missing is not None:
            missing[name] = missed
    ctx.close()
    return times


def _pgt_views_as_loaded() -> None:
    """The registry's PGT views (on the map by default, over the same generated polygons) as a load leaves them:
    extent, feature count and tile overviews of their current version (``layers.registry.data_changed``).

    The generator writes the polygons with SQL, not through the ETL: without this, a fresh benchmark database
    drew those layers' low-zoom tiles from the full table (seconds each) until the tile cache held them."""
    from layers.models import Layer
    from layers.registry import data_changed
    from mappature.models import TileOverview

    views = Layer.objects.filter(kind=Layer.Kind.VECTOR, published=True, source__startswith="pgt_")
    built = set(TileOverview.objects.values_list("layer", "data_version"))
    stale = [layer for layer in views if (layer.slug, layer.data_version) not in built]
    if stale:
        started = time.perf_counter()
        data_changed(stale)
        print(
            f"[bench] map_browser: {len(stale)} PGT views brought up to date in {time.perf_counter() - started:.1f} s"
        )


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def run(ctx: Context) -> list[Result]:
    from django.core.management import call_command
    from playwright.sync_api import sync_playwright

    from mappature import overviews

    runs = 3 if ctx.quick else 10
    chromium = os.environ.get("REMIX_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
    project: dict[str, list[float]] = {s: [] for s in STEPS}
    anchor: dict[str, list[float]] = {s: [] for s in STEPS}
    call_command("collectstatic", interactive=False, verbosity=0)  # the page's scripts as they are now
    with bench_database(ctx.scale) as n_features, http_server() as base:
        layer = _layer()
        overviews.rebuild(layer)
        # The registry's layers as `make data` leaves them (the map's default layers on): a fresh benchmark
        # database has only the benchmark's own until another benchmark syncs the registry.
        call_command("layers", "sync", verbosity=0)
        _pgt_views_as_loaded()
        zona, comune, point = _pick_targets()
        pw = sync_playwright().start()  # after the ORM calls: Playwright's sync API runs an event loop here
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=ARGS)
        static = None
        try:
            capture: dict = {}
            _project_run(browser, base, zona, comune, point, capture)  # warm-up, and what the anchor replays
            site = ctx.work_dir / "map_browser_site"
            plan = _write_anchor(site, capture, layer)
            port = _free_port()
            static = subprocess.Popen(  # noqa: S603 - fixed argv
                [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            static_base = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"{static_base}/index.html", timeout=1).read()  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.1)
            missing: dict[str, list[int]] = {}
            _anchor_run(browser, static_base, plan, missing)  # warm-up
            for _ in range(runs):  # interleaved, so both sides see the same machine load
                for name, t in _project_run(browser, base, zona, comune, point, None).items():
                    project[name].append(t)
                for name, t in _anchor_run(browser, static_base, plan).items():
                    anchor[name].append(t)
        finally:
            if static is not None:
                static.terminate()
                static.wait(timeout=10)
            browser.close()
            pw.stop()
    tiles = sum(1 for _ in (site / "tiles").rglob("*.pbf")) if (site / "tiles").exists() else 0
    results = []
    for name in STEPS:
        pm, am = statistics.median(project[name]), statistics.median(anchor[name])
        results.append(
            Result(
                name=f"map_browser_{name}",
                project=pm,
                anchor=am,
                unit="s (median)",
                target=0.5,
                scale=f"{n_features} polygons, {runs} runs, zona {zona}, comune {comune}",
                higher_is_better=False,
                notes=(
                    f"/mappa/ {pm * 1000:.0f} ms vs bare Leaflet on static files {am * 1000:.0f} ms (median); "
                    f"p95 {_p95(project[name]) * 1000:.0f} vs {_p95(anchor[name]) * 1000:.0f} ms; server tile "
                    f"cache warm after the warm-up run, browser cache cold in each run"
                ),
                details={
                    "project_s": [round(t, 4) for t in project[name]],
                    "anchor_s": [round(t, 4) for t in anchor[name]],
                    "project_p95_s": round(_p95(project[name]), 4),
                    "anchor_p95_s": round(_p95(anchor[name]), 4),
                    "anchor_tiles_on_disk": tiles,
                    "anchor_json": len(plan[name]["json"]),
                    "anchor_geojson_pages": {k: len(v["pages"]) for k, v in plan[name]["geojson"].items()},
                    "anchor_point_layers": sorted(k for k, v in plan[name]["geojson"].items() if v["points"]),
                    "tiles_asked_by_the_map": plan[name]["tiles_per_layer"],
                    "anchor_tiles_fetched": missing[name][0],
                    "anchor_tiles_not_asked_by_the_map": missing[name][1],
                },
            )
        )
    return results

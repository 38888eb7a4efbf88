"""map_browser: what the planner feels on /mappa/ in headless Chromium, against a bare Leaflet page.

The full-scale PGT set (one layer, six classes, read through its overviews) is served by gunicorn; each
run opens /mappa/ in a fresh browser context (empty browser cache) and times, from the action to the
map's idle signal (``<html data-remix-idle>`` incremented by static/remix/webmap.js when no fetch, tile
load or move is pending and a frame is painted): switching the PGT layer on over the whole CMM, a switch
of zona, a switch of comune, an identify click and opening the attribute table on the layer.

Anchor, in the same run: the same tiles and JSON bodies the project served, written to disk, then a bare
Leaflet + VectorGrid page served as static files (``python -m http.server``) replays each step (same
view, same tiles, same JSON fetched and printed) — the browser's own limit. Ratio = anchor / project
time (higher is better), median and p95 of the runs; the note gives the absolute medians. Each step is one
``page.evaluate`` on both sides (see ``STEP``); ``details`` say how many tiles the map asked for in each step.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

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
<link rel="stylesheet" href="leaflet/leaflet.css"><style>#map{width:900px;height:700px}</style></head>
<body><div id="map"></div><pre id="out"></pre>
<script src="leaflet/leaflet.js"></script><script src="Leaflet.VectorGrid.bundled.min.js"></script>
<script>
const STYLE = %(style)s;
const map = L.map("map", {preferCanvas: true}).setView([45.46, 9.19], 10);
const layer = L.vectorGrid.protobuf("tiles/{z}/{x}/{y}.pbf", {rendererFactory: L.canvas.tile, interactive: false,
  maxNativeZoom: 16, vectorTileLayerStyles: {"%(slug)s": p => Object.assign({fill: true, weight: 0.5, fillOpacity: 0.6},
  {fillColor: STYLE[p.layer] || "#888", color: STYLE[p.layer] || "#888"})}});
window.step = function (s) {
  return new Promise(function (resolve) {
    let pending = 1;
    const done = function () { if (--pending === 0) { requestAnimationFrame(function () { setTimeout(resolve, 0); }); } };
    s.json.forEach(function (u) { pending += 1; fetch(u).then(function (r) { return r.json(); })
      .then(function (b) { document.getElementById("out").textContent = JSON.stringify(b).slice(0, 4000); done(); }, done); });
    if (!map.hasLayer(layer)) { layer.addTo(map); }
    map.setView(s.center, s.zoom, {animate: false});
    if (layer._loading) { pending += 1; layer.once("load", done); }
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
            view = page.evaluate(
                "(() => { const c = RemixMap.getCenter(); return [[c.lat, c.lng], RemixMap.getZoom()]; })()"
            )
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


def _write_anchor(site: Path, capture: dict, layer) -> dict[str, dict]:
    """Tiles and JSON bodies to disk, Leaflet's files beside them; the replay plan of each step."""
    if site.exists():
        shutil.rmtree(site)
    (site / "json").mkdir(parents=True)
    _copy_leaflet(site)
    shutil.copy(ROOT / "static" / "remix" / "vendor" / "Leaflet.VectorGrid.bundled.min.js", site)
    plan, n = {}, 0
    for name in STEPS:
        step = capture[name]
        urls, tiles = [], 0
        for url, body in step["responses"]:
            path = urlsplit(url).path
            if path.startswith(f"/tiles/{SLUG}/"):
                tiles += 1
                z, x, yfile = path.split("/")[-3:]
                dest = site / "tiles" / z / x / yfile
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(body)
            else:
                n += 1
                (site / "json" / f"{n}.json").write_bytes(body)
                urls.append(f"json/{n}.json")
        plan[name] = {"center": step["center"], "zoom": step["zoom"], "json": urls, "tiles": tiles}
    style = {c["value"]: c["fill"] for c in layer.style["classes"]}
    (site / "index.html").write_text(ANCHOR_HTML % {"style": json.dumps(style), "slug": SLUG})
    return plan


def _copy_leaflet(site: Path) -> None:
    """Leaflet as the app serves it (django-leaflet's static files)."""
    import leaflet

    shutil.copytree(Path(leaflet.__file__).parent / "static" / "leaflet", site / "leaflet", dirs_exist_ok=True)


def _anchor_run(browser, base: str, plan: dict) -> dict[str, float]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto(f"{base}/index.html", wait_until="load")
    times = {}
    for name in STEPS:
        started = time.perf_counter()
        page.evaluate("s => window.step(s)", plan[name])
        times[name] = time.perf_counter() - started
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
            _anchor_run(browser, static_base, plan)  # warm-up
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
                    "anchor_json": plan[name]["json"],
                    "tiles_asked_by_the_map": plan[name]["tiles"],
                },
            )
        )
    return results

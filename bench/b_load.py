"""load: a bounded loopback load test of the app as `make run` serves it, and the gunicorn setup chosen by it.

Read-only on the app's data (works after `make run`). For each gunicorn configuration, a server on
127.0.0.1 (a free port), then 8 and 32 concurrent clients for ``REMIX_LOAD_SECONDS`` (30 s) each,
every client looping over a fixed mix: the home page, the map's API (layer list, a page of
features, identify, summaries of a zona and a comune), vector tiles z10–z14 of a PGT layer, WMS
GetMap and WFS GetFeature. Reported: requests/s, p50/p95/p99 latency and errors (anything but
HTTP 200/204, or a failed connection). The project is the configuration scripts/serve.sh uses
(``SERVE_ARGS``), the anchor the previous one (3 sync workers); the target is 0 errors and no
fewer requests/s. The clients are Python threads on the same 2 cores: figures are for comparing
configurations on one machine, not a capacity claim.
"""

from __future__ import annotations

import http.client
import math
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from . import Context, Result

ROOT = Path(__file__).resolve().parent.parent
SERVE_ARGS = ["--workers", "3", "--worker-class", "gthread", "--threads", "4"]  # as scripts/serve.sh
BASELINE_ARGS = ["--workers", "3"]  # sync workers, before issue 17
CLIENTS = (8, 32)
MILANO = (9.19, 45.465)


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _mix(base: str) -> list[str]:
    """The URL mix: what a planner's map session asks for, OGC clients included."""
    caps = (
        urllib.request.urlopen(
            f"{base}/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities",  # noqa: S310
            timeout=60,
        )
        .read()
        .decode()
    )
    names = re.findall(r"<Layer[^>]*>\s*<Name>([^<]+)</Name>", caps)
    ogc = next((n for n in names if "ambiti_trasformazione" in n), names[-1] if names else "comuni")
    urls = [
        "/",
        "/api/strati",
        "/api/strati/realizzazioni/elementi?limit=100",
        f"/api/identifica?lon={MILANO[0]}&lat={MILANO[1]}&layers=pgt_ambiti_trasformazione,realizzazioni",
        "/api/riepilogo?zona=nord-ovest",
        "/api/riepilogo?comune=015146",
        f"/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES={ogc}&COUNT=50&OUTPUTFORMAT=geojson",
    ]
    rng = random.Random(3)
    for z in range(10, 15):
        for _ in range(3):
            x, y = _tile(MILANO[0] + rng.uniform(-0.2, 0.2), MILANO[1] + rng.uniform(-0.12, 0.12), z)
            urls.append(f"/tiles/pgt_tessuto_urbano_consolidato/{z}/{x}/{y}.pbf")
    for i in range(4):
        d = 0.02 * (i + 1)
        bbox = f"{MILANO[1] - d},{MILANO[0] - d},{MILANO[1] + d},{MILANO[0] + d}"
        urls.append(
            f"/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={ogc}&STYLES=&CRS=EPSG:4326"
            f"&BBOX={bbox}&WIDTH=256&HEIGHT=256&FORMAT=image/png&TRANSPARENT=TRUE"
        )
    return urls


def _client(port: int, urls: list[str], seed: int, until: float, out: list, errors: list) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    while time.perf_counter() < until:
        url = rng.choice(urls)
        started = time.perf_counter()
        try:
            conn.request("GET", url, headers={"Accept-Language": "it"})
            response = conn.getresponse()
            response.read()
            if response.status not in (200, 204):
                errors.append(f"{response.status} {url}")
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException) as err:
            errors.append(f"{type(err).__name__} {url}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        out.append(time.perf_counter() - started)
    conn.close()


def _round(port: int, urls: list[str], clients: int, seconds: float) -> dict:
    latencies, errors = [], []
    until = time.perf_counter() + seconds
    threads = [threading.Thread(target=_client, args=(port, urls, i, until, latencies, errors)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    q = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
    }


def _serve(args: list[str], log: Path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "gunicorn",
            "remix.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            *args,
            "--timeout",
            "120",
            "--log-level",
            "warning",
            "--error-logfile",
            str(log),
        ],
        cwd=ROOT,
        # Every simulated planner comes from 127.0.0.1, so the per-client rate limits (RATE_LIMITS) would
        # answer 429 to the whole mix: the server under test measures capacity with them out of reach.
        env={**os.environ, "REMIX_RATE_SUMMARY": "1000000000", "REMIX_RATE_IDENTIFY": "1000000000"},
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()  # noqa: S310
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"gunicorn {' '.join(args)} did not start (see {log})")


def measure(args: list[str], seconds: float, work: Path) -> dict[int, dict]:
    proc, port = _serve(args, work / "load_gunicorn.log")
    try:
        urls = _mix(f"http://127.0.0.1:{port}")
        _round(port, urls, 4, min(3.0, seconds))  # warm every worker's connections and caches
        return {clients: _round(port, urls, clients, seconds) for clients in CLIENTS}
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def run(ctx: Context) -> list[Result]:
    from layers.models import Layer

    if not Layer.objects.filter(slug="pgt_tessuto_urbano_consolidato", published=True).exists():
        print("[bench] load: the app has no data — run `make run` first")
        return []
    seconds = float(os.environ.get("REMIX_LOAD_SECONDS", 5 if ctx.quick else 30))
    chosen = measure(SERVE_ARGS, seconds, ctx.work_dir)
    before = measure(BASELINE_ARGS, seconds, ctx.work_dir)
    results = []
    for clients in CLIENTS:
        now, old = chosen[clients], before[clients]
        note = (
            f"gunicorn {' '.join(SERVE_ARGS)} vs {' '.join(BASELINE_ARGS)} (sync); p50/p95/p99 "
            f"{now['p50_ms']}/{now['p95_ms']}/{now['p99_ms']} ms vs {old['p50_ms']}/{old['p95_ms']}/{old['p99_ms']}"
            f" ms; errors {now['errors']} vs {old['errors']}"
        )
        if now["errors"]:
            note += " — ERRORS (target 0)"
        results.append(
            Result(
                name=f"load_{clients}_clients",
                project=now["rps"],
                anchor=old["rps"],
                unit="requests/s",
                target=1.0 if not now["errors"] else math.inf,
                scale=f"{clients} clients × {seconds:.0f} s, mix of 26 URLs",
                notes=note,
                details={"chosen": now, "baseline": old},
            )
        )
    return results

"""load: a bounded loopback load test of the app as `make run` serves it, fast requests measured while slow ones run.

Each gunicorn configuration gets a server on 127.0.0.1 (a free port); all of them are started once and
kept up, and short rounds of ``REMIX_LOAD_SECONDS`` (6 s) alternate between them, ``REMIX_LOAD_ROUNDS``
(4) per client count, in the order A B B A A B B A (every configuration gets the same share of early
and late rounds): the shared machine's load drifts by the minute, and rounds run one configuration
after the other put all of a drift on one of them. Each round has 8 or 32 "fast" clients and, all
along, 2 "slow" clients:

- fast clients loop over what a planner's map session asks for: the home page, the map's API (layer
  list, a page of features, identify, summaries of a zona and a comune), vector tiles z10–z14 of a PGT
  layer, WMS GetMap tiles and a small WFS GetFeature;
- slow clients loop over what a real server also sees, each request a second or so on the full-scale
  synthetic PGT set (``ensure_dataset``, registered only while the test runs): a GeoPackage export of
  an area through the export API (``POST /api/esportazioni/``, an extent a little different every time
  so that no request is served by an earlier job), a WFS GetFeature of 5,000 features and a
  1024×768 WMS GetMap of Milano. There are always two of them in flight: what threads are for.

Reported per configuration, as the median of its rounds (each round's figures in ``details``):
requests/s (all, fast), p50/p95/p99 latency of the fast requests (and the p95 of the fast WMS/WFS
ones apart: MapServer answers one request at a time per process), p50/p95 of the slow ones, errors
(summed over the rounds: anything but HTTP 200/201/204, or a failed connection). The project is the
configuration of ``make run`` (remix/gunicorn_conf.py); the anchor sync × 3. Result
``load_<n>_clients`` compares the median fast requests/s; ``load_<n>_clients_fast_p95`` the median
fast p95 (lower is better). ``REMIX_LOAD_CONFIGS="gthread:2x4 ..."`` measures more configurations in
the same alternation (printed, and kept in the details). The export jobs and files the test made are
deleted at the end. The clients are Python threads on the same cores as the server: figures compare
configurations on one machine; they are no capacity claim.
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
import urllib.parse
import urllib.request
from pathlib import Path

from . import Context, Result
from .ogc_common import SLUG, bench_layer, ensure_dataset

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = (8, 32)
SLOW_CLIENTS = 2
MILANO = (9.19, 45.465)
ANCHOR = "sync:3"  # sync workers, as before threads were chosen (issue 17)


def chosen() -> str:
    """The configuration `make run` uses, as remix/gunicorn_conf.py sets it (without REMIX_WORKERS/THREADS)."""
    env = {k: v for k, v in os.environ.items() if k not in ("REMIX_WORKERS", "REMIX_THREADS")}
    code = "from remix import gunicorn_conf as c; print(c.worker_class, c.workers, c.threads)"
    out = subprocess.run(  # noqa: S603 - fixed argv; a fresh interpreter reads the defaults
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return f"{out[0]}:{out[1]}" if out[0] == "sync" else f"{out[0]}:{out[1]}x{out[2]}"


def gunicorn_args(config: str) -> list[str]:
    """``sync:3`` → 3 sync workers; ``gthread:3x4`` → 3 workers of 4 threads."""
    kind, _sep, size = config.partition(":")
    if kind == "sync":
        return ["--worker-class", "sync", "--workers", size]
    workers, _x, threads = size.partition("x")
    return ["--worker-class", kind, "--workers", workers, "--threads", threads or "1"]


def _tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def _mix(base: str) -> list[str]:
    """The fast URL mix: what a planner's map session asks for, OGC clients included."""
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


SLOW_KINDS = ("export", "wfs_5000", "wms_1024")


def slow_request(kind: str, rng: random.Random, slug: str = SLUG) -> tuple[str, str, bytes | None]:
    """(method, path, form body) of one slow request on the full-scale set ``SLUG``."""
    if kind == "export":  # 1,500–3,000 polygons; a new extent every time (an identical one reuses its job)
        lon, lat = MILANO[0] + rng.uniform(-0.05, 0.05), MILANO[1] + rng.uniform(-0.03, 0.03)
        d = rng.uniform(0.015, 0.022)
        form = {
            "layers": slug,
            "area_kind": "bbox",
            "bbox": f"{lon - d:.6f},{lat - d:.6f},{lon + d:.6f},{lat + d:.6f}",
            "bbox_crs": "EPSG:4326",
        }
        return "POST", "/api/esportazioni/", urllib.parse.urlencode(form).encode()
    if kind == "wfs_5000":
        return "GET", f"/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES={slug}&COUNT=5000", None
    return (
        "GET",
        f"/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS={slug}&STYLES=&CRS=EPSG:4326"
        "&BBOX=45.40,9.10,45.52,9.30&WIDTH=1024&HEIGHT=768&FORMAT=image/png",
        None,
    )


class _Stop:
    def __init__(self):
        self.until = math.inf


def _csrf(conn: http.client.HTTPConnection) -> str:
    """The CSRF cookie the web map gets with its page (the export API is called by the map)."""
    conn.request("GET", "/mappa/")
    response = conn.getresponse()
    response.read()
    for header, value in response.getheaders():
        if header.lower() == "set-cookie" and value.startswith("csrftoken="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise RuntimeError("no CSRF cookie from /mappa/")


def _client(port: int, next_request, seed: int, stop, out: list, errors: list, slow: bool) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    token = _csrf(conn) if slow else ""
    while time.perf_counter() < stop.until:
        method, url, body = next_request(rng)
        headers = {"Accept-Language": "it"}
        if body is not None:
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={token}",
                    "X-CSRFToken": token,
                }
            )
        started = time.perf_counter()
        try:
            conn.request(method, url, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status not in (200, 201, 204):
                errors.append(f"{response.status} {method} {url}")
            if response.getheader("Connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException) as err:
            errors.append(f"{type(err).__name__} {method} {url}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        if time.perf_counter() < stop.until or slow:  # a slow request that ends late still counts as slow
            out.append((time.perf_counter() - started, url.startswith("/ows")))
    conn.close()


def _quantiles(values: list[float]) -> list[float]:
    return statistics.quantiles(values, n=100) if len(values) > 1 else [values[0] if values else 0.0] * 99


def _round(port: int, urls: list[str], clients: int, seconds: float, slow_clients: int = SLOW_CLIENTS) -> dict:
    fast, slow, errors = [], [], []
    stop = _Stop()
    kinds = iter(range(1_000_000))

    def fast_request(rng):
        return "GET", rng.choice(urls), None

    def slow_one(rng):
        return slow_request(SLOW_KINDS[next(kinds) % len(SLOW_KINDS)], rng)

    threads = [
        threading.Thread(target=_client, args=(port, fast_request, i, stop, fast, errors, False))
        for i in range(clients)
    ] + [
        threading.Thread(target=_client, args=(port, slow_one, 1000 + i, stop, slow, errors, True))
        for i in range(slow_clients)
    ]
    started = time.perf_counter()
    stop.until = started + seconds
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = max(time.perf_counter() - started, seconds)
    qf, qs = _quantiles([t for t, _ogc in fast]), _quantiles([t for t, _ogc in slow])
    qo = _quantiles([t for t, ogc in fast if ogc])
    return {
        "requests": len(fast) + len(slow),
        "rps": round((len(fast) + len(slow)) / elapsed, 1),
        "fast_rps": round(len(fast) / seconds, 1),
        "p50_ms": round(qf[49] * 1000, 1),
        "p95_ms": round(qf[94] * 1000, 1),
        "p99_ms": round(qf[98] * 1000, 1),
        "ogc_p95_ms": round(qo[94] * 1000, 1),
        "slow_requests": len(slow),
        "slow_p50_ms": round(qs[49] * 1000),
        "slow_p95_ms": round(qs[94] * 1000),
        "errors": len(errors),
        "error_samples": sorted(set(errors))[:5],
    }


def _serve(config: str, log: Path):
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
            *gunicorn_args(config),
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
        env={
            **os.environ,
            "REMIX_RATE_SUMMARY": "1000000000",
            "REMIX_RATE_IDENTIFY": "1000000000",
            "REMIX_RATE_EXPORT": "1000000000",
        },
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()  # noqa: S310
            return proc, port
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(f"gunicorn {config} did not start (see {log})")


def _print(config: str, clients: int, r: dict, label: str = "") -> None:
    print(
        f"[bench] load {config:>12} {clients:>2}+{SLOW_CLIENTS} clients{label}: {r['rps']:6.1f} req/s "
        f"(fast {r['fast_rps']:6.1f}), fast p50/p95/p99 {r['p50_ms']}/{r['p95_ms']}/{r['p99_ms']} ms "
        f"(WMS/WFS p95 {r['ogc_p95_ms']}), slow {r['slow_requests']} p50/p95 {r['slow_p50_ms']}/{r['slow_p95_ms']} ms, "
        f"errors {r['errors']} {r['error_samples'][:2]}",
        flush=True,
    )


MEDIAN_KEYS = ("rps", "fast_rps", "p50_ms", "p95_ms", "p99_ms", "ogc_p95_ms", "slow_p50_ms", "slow_p95_ms")


def _summary(rounds: list[dict]) -> dict:
    """Medians of a configuration's rounds; requests and errors summed; the rounds themselves kept."""
    summary = {key: round(statistics.median(r[key] for r in rounds), 1) for key in MEDIAN_KEYS}
    summary.update(
        requests=sum(r["requests"] for r in rounds),
        slow_requests=sum(r["slow_requests"] for r in rounds),
        errors=sum(r["errors"] for r in rounds),
        error_samples=sorted({e for r in rounds for e in r["error_samples"]})[:5],
        rounds=[
            {key: r[key] for key in ("fast_rps", "p95_ms", "ogc_p95_ms", "slow_requests", "errors")} for r in rounds
        ],
    )
    return summary


def order(configs: list[str], rounds: int) -> list[str]:
    """A B B A A B B A …: each configuration as often early as late in a block of rounds."""
    sequence = []
    for index in range(rounds):
        sequence += configs if index % 2 == 0 else configs[::-1]
    return sequence


def measure(configs: list[str], seconds: float, rounds: int, work: Path, clients=CLIENTS) -> dict[str, dict[int, dict]]:
    """Every configuration's server up at once; rounds alternate between them (see ``order``)."""
    servers = {}
    try:
        for index, config in enumerate(configs):
            servers[config] = _serve(config, work / f"load_gunicorn_{index}.log")
        urls = _mix(f"http://127.0.0.1:{servers[configs[0]][1]}")
        for config in configs:  # warm every worker's connections and caches
            _round(servers[config][1], urls, 4, min(3.0, seconds), slow_clients=1)
        measured = {config: {} for config in configs}
        for n in clients:
            done = {config: [] for config in configs}
            for config in order(configs, rounds):
                r = _round(servers[config][1], urls, n, seconds)
                done[config].append(r)
                _print(config, n, r, f" round {len(done[config])}")
            for config in configs:
                measured[config][n] = _summary(done[config])
                _print(config, n, measured[config][n], f" MEDIAN of {rounds}")
        return measured
    finally:
        for proc, _port in servers.values():
            proc.terminate()
        for proc, _port in servers.values():
            proc.wait(timeout=60)


def _forget_exports(after_pk: int) -> None:
    from layers.exports.models import ExportJob
    from remix import storage

    for job in ExportJob.objects.filter(pk__gt=after_pk):
        if job.file:
            storage.get(storage.EXPORTS).delete(job.file)
        job.delete()


def run(ctx: Context) -> list[Result]:
    from django.db.models import Max

    from layers.exports.models import ExportJob
    from layers.models import Layer

    if not Layer.objects.filter(slug="pgt_tessuto_urbano_consolidato", published=True).exists():
        print("[bench] load: the app has no data — run `make run` first")
        return []
    seconds = float(os.environ.get("REMIX_LOAD_SECONDS", 3 if ctx.quick else 6))
    rounds = int(os.environ.get("REMIX_LOAD_ROUNDS", 2 if ctx.quick else 4))
    project = chosen()
    extra = [c for c in os.environ.get("REMIX_LOAD_CONFIGS", "").split() if c not in (project, ANCHOR)]
    ensure_dataset(ctx.scale)
    last_job = ExportJob.objects.aggregate(m=Max("pk"))["m"] or 0
    measured = {}
    try:
        with bench_layer():
            measured = measure(list(dict.fromkeys((project, ANCHOR, *extra))), seconds, rounds, ctx.work_dir)
    finally:
        _forget_exports(last_job)
    results = []
    for clients in CLIENTS:
        now, old = measured[project][clients], measured[ANCHOR][clients]
        scale = f"{clients} fast + {SLOW_CLIENTS} slow clients, medians of {rounds} alternated rounds × {seconds:g} s"
        note = (
            f"gunicorn {project} (make run) vs {ANCHOR}, medians of {rounds} rounds each, alternated; "
            f"fast req/s by round {[r['fast_rps'] for r in now['rounds']]} vs {[r['fast_rps'] for r in old['rounds']]}; "
            f"all requests/s {now['rps']} vs {old['rps']}; fast p50/p95/p99 "
            f"{now['p50_ms']}/{now['p95_ms']}/{now['p99_ms']} vs {old['p50_ms']}/{old['p95_ms']}/{old['p99_ms']} ms;"
            f" slow {now['slow_requests']} vs {old['slow_requests']}, p50 {now['slow_p50_ms']} vs "
            f"{old['slow_p50_ms']} ms; errors {now['errors']} vs {old['errors']}"
        )
        if now["errors"]:
            note += " — ERRORS (target 0)"
        details = {"chosen": now, "baseline": old, "others": {c: m[clients] for c, m in measured.items()}}
        results.append(
            Result(
                name=f"load_{clients}_clients",
                project=now["fast_rps"],
                anchor=old["fast_rps"],
                unit="fast req/s",
                target=1.0 if not now["errors"] else math.inf,
                scale=scale,
                notes=note,
                details=details,
            )
        )
        results.append(
            Result(
                name=f"load_{clients}_clients_fast_p95",
                project=now["p95_ms"],
                anchor=old["p95_ms"],
                unit="ms",
                target=1.0 if not now["errors"] else math.inf,
                scale=scale,
                higher_is_better=False,
                notes=(
                    f"median p95 latency of the fast requests while the slow ones run; {project} vs {ANCHOR}; "
                    f"by round {[r['p95_ms'] for r in now['rounds']]} vs {[r['p95_ms'] for r in old['rounds']]}; "
                    f"fast WMS/WFS alone {now['ogc_p95_ms']} vs {old['ogc_p95_ms']} ms; errors {now['errors']} vs "
                    f"{old['errors']}"
                ),
                details={"chosen": now, "baseline": old},
            )
        )
    return results

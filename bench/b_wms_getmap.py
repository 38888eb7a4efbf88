"""WMS GetMap throughput: 256×256 tiles over CMM of the full-scale PGT layer, Remix's /ows vs MapServer's mapserv.

Project: HTTP GET to /ows of a gunicorn worker (as `make run` serves it: registry lookup, visibility
check, in-process MapServer). Anchor: MapServer's own ``mapserv`` binary on the very mapfile the
platform generated, under FastCGI (spawn-fcgi, one long-lived process: MapServer's fastest set-up).
Extra lines compare with mapserv as a plain CGI and with bare in-process mapscript (no Django),
to show what the web layer costs.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from bench import Context, Result

from .fastcgi import FastCgiClient
from .ogc_common import SLUG, bench_layer, ensure_dataset

ROOT = Path(__file__).resolve().parent.parent
CMM_3857 = (968_000.0, 5_652_000.0, 1_064_000.0, 5_718_000.0)  # CMM extent in EPSG:3857, approximately
WORLD = 20_037_508.342789244


def tiles(count: int) -> list[tuple[float, float, float, float]]:
    """Deterministic EPSG:3857 tiles (z13 and z14) whose centre falls inside CMM."""
    out = []
    for zoom in (13, 14):
        size = 2 * WORLD / 2**zoom
        xs = range(math.floor((CMM_3857[0] + WORLD) / size), math.ceil((CMM_3857[2] + WORLD) / size))
        ys = range(math.floor((CMM_3857[1] + WORLD) / size), math.ceil((CMM_3857[3] + WORLD) / size))
        for i in xs:
            for j in ys:
                out.append((i * size - WORLD, j * size - WORLD, (i + 1) * size - WORLD, (j + 1) * size - WORLD))
    step = max(1, len(out) // count)
    return out[::step][:count]


def query(bbox) -> str:
    return (
        "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS="
        + SLUG
        + "&STYLES=&CRS=EPSG:3857&BBOX="
        + ",".join(f"{v:.2f}" for v in bbox)
        + "&WIDTH=256&HEIGHT=256&FORMAT=image/png&TRANSPARENT=TRUE"
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict:
    from django.db import connection

    from layers.exports.jobs import _database_url

    env = {**os.environ, "DATABASE_URL": _database_url()}
    if connection.settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = connection.settings_dict["PASSWORD"]
    return env


def _http_get(port: int, path: str) -> bytes:
    """A bare HTTP/1.0 GET (as lean as the FastCGI client of the anchor side); returns the body."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n".encode())
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks).split(b"\r\n\r\n", 1)[1]


def _interleaved(
    port: int, fcgi: FastCgiClient, queries: list[str], rounds: int, env: dict | None = None
) -> tuple[float, float]:
    """Tile by tile, one side then the other, several rounds; each tile counts with its fastest time
    on each side. The machine is shared: this keeps load bursts from landing on one side only.

    Under FastCGI the process environment is replaced by each request's parameters: libpq finds the
    password file (or password) only if the request carries it, as a web server's ``fastcgi_param``."""
    params = {
        "REQUEST_METHOD": "GET",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SCRIPT_NAME": "/ows",
        **{k: v for k, v in (env or {}).items() if k in ("PGPASSFILE", "PGPASSWORD")},
    }
    best_project = [math.inf] * len(queries)
    best_anchor = [math.inf] * len(queries)
    for q in queries[:2]:  # warm-up: mapfile generation, connections
        _http_get(port, f"/ows?{q}")
        fcgi.get({**params, "QUERY_STRING": q})
    for _round in range(rounds):
        for i, q in enumerate(queries):
            started = time.perf_counter()
            body = _http_get(port, f"/ows?{q}")
            best_project[i] = min(best_project[i], time.perf_counter() - started)
            started = time.perf_counter()
            out = fcgi.get({**params, "QUERY_STRING": q})
            best_anchor[i] = min(best_anchor[i], time.perf_counter() - started)
            assert body[:4] == b"\x89PNG" and b"\x89PNG" in out[:200], (body[:200], out[:200])
    return len(queries) / sum(best_project), len(queries) / sum(best_anchor)


def _mapserv_env(mapfile: Path, work: Path) -> dict:
    conf = work / "mapserver.conf"
    conf.write_text(f'CONFIG\n  ENV\n    MS_MAPFILE "{mapfile}"\n  END\nEND\n')
    return {**_env(), "MAPSERVER_CONFIG_FILE": str(conf), "REQUEST_METHOD": "GET"}


def _time_mapserv_cgi(env: dict, queries: list[str]) -> float:
    started = time.perf_counter()
    for q in queries:
        out = subprocess.run(["mapserv"], env={**env, "QUERY_STRING": q}, capture_output=True, check=True).stdout
        assert b"\x89PNG" in out[:200], out[:300]
    return len(queries) / (time.perf_counter() - started)


@contextmanager
def _mapserv_fcgi(env: dict):
    """mapserv under spawn-fcgi: one long-lived process, connections kept (MapServer's fastest set-up)."""
    port = _free_port()
    pidfile = ROOT / "var" / "bench" / "mapserv-fcgi.pid"
    subprocess.run(
        ["spawn-fcgi", "-a", "127.0.0.1", "-p", str(port), "-F", "1", "-P", str(pidfile), "--", "/usr/bin/mapserv"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(pidfile.read_text().strip() or 0)
    try:
        yield FastCgiClient("127.0.0.1", port)
    finally:
        if pid:
            _stop(pid)


def _stop(pid: int) -> None:
    """SIGTERM, then SIGKILL: mapserv under FastCGI only looks at SIGTERM between requests, so an idle one kept
    waiting for a request (and its PostgreSQL connection) for ever."""
    os.kill(pid, signal.SIGTERM)
    for _ in range(20):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _time_mapscript(queries: list[str]) -> float:
    from layers.ogc import service

    template = service.map_for(None)
    started = time.perf_counter()
    for q in queries:
        assert service._run(template, q, "http://127.0.0.1/ows?", b"").body[:4] == b"\x89PNG"
    return len(queries) / (time.perf_counter() - started)


def _serve(port: int, log: Path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "remix.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "300",
        ],
        cwd=ROOT,
        env=_env(),
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    for _ in range(150):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"gunicorn did not start, see {log}")


def run(ctx: Context) -> list[Result]:
    from layers.ogc import service

    rows = ensure_dataset(ctx.scale)
    queries = [query(b) for b in tiles(16 if ctx.quick else 64)]
    with bench_layer():
        mapfile, _sources = service.write_mapfile(service.visible_layers(None))
        env = _mapserv_env(mapfile, ctx.work_dir)
        port = _free_port()
        server = _serve(port, ctx.work_dir / "wms_getmap_gunicorn.log")
        try:
            with _mapserv_fcgi(env) as fcgi:
                project, anchor = _interleaved(port, fcgi, queries, 3 if ctx.quick else 5, env)
        finally:
            server.terminate()
            server.wait(timeout=30)
        cgi = _time_mapserv_cgi(env, queries[:8])
        bare = _time_mapscript(queries)
    scale = f"{rows} polygons, {len(queries)} tiles 256×256 (EPSG:3857 z13–z14)"
    return [
        Result(
            "wms_getmap",
            project,
            anchor,
            "tiles/s",
            0.9,
            scale,
            notes="Remix /ows over HTTP (gunicorn, 1 worker) vs mapserv under FastCGI (spawn-fcgi),"
            " same generated mapfile; interleaved, best of rounds per tile",
        ),
        Result(
            "wms_getmap_vs_mapserv_cgi",
            project,
            cgi,
            "tiles/s",
            0.9,
            scale,
            notes="vs mapserv as a plain CGI (one process per request; one round, 8 tiles)",
        ),
        Result(
            "wms_getmap_vs_mapscript",
            project,
            bare,
            "tiles/s",
            0.8,
            scale,
            notes="cost of the web layer: /ows over HTTP vs bare in-process mapscript (one round)",
        ),
    ]

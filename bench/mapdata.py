"""The full-scale PGT set for the map benchmarks, in a database of its own (app data untouched).

``bench_database(scale)`` switches Django's default connection to ``<app db>_bench_map`` (created
and migrated on first use, kept between runs so a re-run does not regenerate 300k polygons),
loads the real comuni through the ETL and fills it with ``scale`` synthetic PGT polygons.

Generator interface (to be swapped for the ETL helper's synthetic PGT generator once it is on
main): ``generate_pgt(n_features: int, seed: int) -> int`` fills ``PgtAtto`` (one vigente act per
comune) and ``PgtFeature`` rows across the six regional layers, deterministically, and returns the
number of features. Everything it writes is flagged synthetic.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
BENCH_VIEW = "bench_pgt_all"
LAYER_SHARE = (  # share of the set per regional layer: TUC and agricultural areas dominate a real PGT
    ("tessuto_urbano_consolidato", 0.45),
    ("aree_agricole", 0.2),
    ("consumo_suolo", 0.1),
    ("ambiti_trasformazione", 0.1),
    ("ambiti_rigenerazione", 0.075),
    ("aree_dismesse", 0.075),
)


def _count(sql: str) -> int:
    with connection.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]


def generate_pgt(n_features: int, seed: int = 42) -> int:
    """Deterministic synthetic PGT: octagons of 25–80 m at points spread over each comune by area."""
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE mappature_pgtfeature, mappature_pgtatto, mappature_realizzazione, "
            "mappature_tilecache RESTART IDENTITY CASCADE"
        )
        cur.execute("""INSERT INTO mappature_pgtatto (comune_id, kind, state, deliberation, spec_version, synthetic,
                                                      created_at)
                       SELECT id, 'pgt', 'vigente', '', 'bench', true, now() FROM mappature_comune""")
        start = 0.0
        for layer, share in LAYER_SHARE:
            cur.execute(
                """
                WITH c AS (SELECT c.istat_code, c.geom, a.id AS atto_id,
                                  greatest(1, round(%s * ST_Area(c.geom) / sum(ST_Area(c.geom)) OVER ()))::int AS n
                           FROM mappature_comune c JOIN mappature_pgtatto a ON a.comune_id = c.id)
                INSERT INTO mappature_pgtfeature (atto_id, istat_code, layer, feature_key, attrs, geom)
                SELECT c.atto_id, c.istat_code, %s, %s || '-' || c.istat_code || '-' || p.path[1],
                       jsonb_build_object('NOME_AMB', 'Ambito ' || p.path[1], 'LEGENDA', 'sintetico', 'CLASSE', '1'),
                       ST_Multi(ST_Buffer(p.geom, 25 + (p.path[1] %% 12) * 5, 'quad_segs=2'))
                FROM c, LATERAL ST_Dump(ST_GeneratePoints(c.geom, c.n, %s)) p
            """,
                [n_features * share, layer, layer[:3], seed + int(start * 100)],
            )
            start += share
        # Interventions: about one per 60 polygons, spread over the comuni, with programmes and sources.
        cur.execute(
            """
            INSERT INTO mappature_realizzazione (code, cup, programme, funding_sources, title, comuni_istat, address,
                status, amount_eur, domains, year_start, year_end, source_url, source_date, attribution, notes,
                location_precision, synthetic, source_id)
            SELECT 'B' || g, '', (ARRAY['PNRR M5C2', 'Bando Periferie', 'PINQuA'])[1 + g %% 3],
                   CASE g %% 3 WHEN 0 THEN ARRAY['PNRR'] WHEN 1 THEN ARRAY['Regione Lombardia', 'Fondi comunali']
                               ELSE ARRAY['PNRR', 'FESR'] END,
                   'Intervento sintetico ' || g, ARRAY[c.istat_code], '', 'in corso', 100000 + (g * 7919) %% 5000000,
                   ARRAY['casa'], 2020 + g %% 6, 2026, '', '', 'sintetico', '', 'comune', true, 'bench-sintetico'
            FROM generate_series(1, %s) g
            JOIN LATERAL (SELECT istat_code FROM mappature_comune ORDER BY istat_code
                          OFFSET (g %% 133) LIMIT 1) c ON true
        """,
            [max(1, n_features // 60)],
        )
        cur.execute("ANALYZE mappature_pgtfeature; ANALYZE mappature_realizzazione")
    create_view()
    return _count("SELECT count(*) FROM mappature_pgtfeature")


def create_view() -> None:
    """The all-layers view the bench layer reads, written so that the partial GiST indexes serve it.

    The table has no index on the plain geometry, only one per PGT layer on the typed geometry with
    ``WHERE layer = <code>`` (mappature migration 0005), as the app's own PGT views read it
    (mappature.pgt_layers). The view exposes that typed geometry and names each layer as a literal in an
    OR: the planner then answers identify and bbox tests with a BitmapOr over the per-layer indexes
    (0.2 ms where the untyped view scanned 300,000 polygons, 60-500 ms), while ``ORDER BY id LIMIT``
    (the attribute table) still walks the primary key; one arm per layer (UNION ALL) would serve the
    spatial test but sort every row for a page of the table. Recreated on every run (cheap), so a
    database kept from an older bench gets the current definition.
    """
    from mappature.pgt_layers import PGT_LAYERS
    from remix import db

    (kind,) = {layer.geometry for layer in PGT_LAYERS}  # one geometry type: one typed column
    layers = db.join((db.compose("f.layer = {code}", code=db.literal(layer.code)) for layer in PGT_LAYERS), " OR ")
    with connection.cursor() as cur:
        db.execute(cur, db.compose("DROP VIEW IF EXISTS {view}", view=db.ident(BENCH_VIEW)))
        db.execute(
            cur,
            db.compose(
                "CREATE VIEW {view} AS SELECT f.id, f.istat_code, f.layer, f.geom::geometry({kind}, 32632) AS geom"
                " FROM mappature_pgtfeature f JOIN mappature_pgtatto a ON a.id = f.atto_id AND a.state = 'vigente'"
                " WHERE ({layers})",
                view=db.ident(BENCH_VIEW),
                kind=db.SQL(kind),
                layers=layers,
            ),
        )


@contextlib.contextmanager
def bench_database(scale: int):
    """Switch the default connection to the benchmark database, filled with ``scale`` polygons."""
    from etl import pipeline
    from etl.declarations import get_source

    original = connection.settings_dict["NAME"]
    connection.settings_dict.setdefault("TEST", {})["NAME"] = f"{original}_bench_map"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False, keepdb=True)
    try:
        if _count("SELECT count(*) FROM mappature_comune") != 133:
            pipeline.run(get_source("comuni"), run_by="bench")
        have = _count("SELECT count(*) FROM mappature_pgtfeature")
        if abs(have - scale) > scale * 0.02 or not _count(
            f"SELECT count(*) FROM pg_views WHERE viewname = '{BENCH_VIEW}'"
        ):
            generate_pgt(scale)
        else:
            create_view()
        yield _count("SELECT count(*) FROM mappature_pgtfeature")
    finally:
        connection.creation.destroy_test_db(original, verbosity=0, keepdb=True)


@contextlib.contextmanager
def http_server():
    """The app served by gunicorn as scripts/serve.sh (``make run``) serves it, on 127.0.0.1, on the bench database.

    Same config file (remix/gunicorn_conf.py), worker class and counts (gthread, ``REMIX_WORKERS`` x
    ``REMIX_THREADS``, default 3 x 4): a page's tiles and JSON requests are answered in parallel, as users
    get them. The workers run in their own processes (the client's timing never shares a GIL with the
    server) and keep their database connections between requests (CONN_MAX_AGE), as in production.
    gunicorn's logs go to var/bench/log, apart from the server's own.
    """
    s = connection.settings_dict
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    auth = quote(s["USER"], safe="") + (f":{quote(s['PASSWORD'], safe='')}" if s["PASSWORD"] else "")
    host = f"{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
    env = {
        **os.environ,
        "DATABASE_URL": f"postgresql://{auth}@{host}/{quote(s['NAME'], safe='')}",
        "REMIX_LOG_DIR": str(ROOT / "var" / "bench" / "log"),
    }
    proc = subprocess.Popen(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-m",
            "gunicorn",
            "remix.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "-c",
            str(ROOT / "remix" / "gunicorn_conf.py"),
            "--workers",
            os.environ.get("REMIX_WORKERS", "3"),
            "--worker-class",
            "gthread",
            "--threads",
            os.environ.get("REMIX_THREADS", "4"),
            "--timeout",
            "120",
        ],
        env=env,
        cwd=ROOT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def raw_connection():
    """A plain psycopg connection to the current (benchmark) database: the anchor runs SQL through it.

    Automatic prepared statements are off, as in Django's connection, so both sides get the same plans.
    """
    import psycopg

    s = connection.settings_dict
    return psycopg.connect(
        dbname=s["NAME"],
        user=s["USER"],
        password=s["PASSWORD"] or None,
        host=s["HOST"] or None,
        port=s["PORT"] or None,
        autocommit=True,
        prepare_threshold=None,
    )

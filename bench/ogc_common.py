"""Shared set-up of the OGC and export benchmarks: the full-scale synthetic PGT in its own schema.

The polygons come from the ETL's synthetic PGT generator (``etl.synthetic.pgt.generate(scale=,
seed=) -> Path`` of a GeoPackage with one layer per regional layer code, fields ``ID`` and
``ISTAT_COM``, MultiPolygon in EPSG:32632, cached under var/synthetic), loaded with ogr2ogr into
schema ``bench_ogc`` (never the app's tables) as one table of ``scale`` polygons whose ``layer``
column is the regional layer. The table is reused while it was loaded from the same file. A
registry row pointing at it exists only while a benchmark runs (:func:`bench_layer`), so the app's
catalogue is left as it was found. Everything shown to users says "sintetico / synthetic".
"""

from __future__ import annotations

import subprocess
from contextlib import contextmanager

from django.db import connection

from remix import db

SCHEMA = "bench_ogc"
TABLE = f"{SCHEMA}.pgt_ambiti"
SLUG = "bench-pgt-ambiti"
STYLE = {
    "kind": "categorized",
    "field": "layer",
    "stroke": "#444444",
    "stroke_width": 0.3,
    "opacity": 0.7,
    "classes": [
        {"value": code, "fill": fill}
        for code, fill in (
            ("ambiti_trasformazione", "#e31a1c"),
            ("ambiti_rigenerazione", "#ff7f00"),
            ("aree_dismesse", "#6a3d9a"),
            ("aree_agricole", "#33a02c"),
            ("tessuto_urbano_consolidato", "#fdbf6f"),
            ("consumo_suolo", "#a6cee3"),
        )
    ],
}

SEED = 2026


def ensure_dataset(scale: int) -> int:
    """Load (or reuse) ``scale`` synthetic PGT polygons into ``bench_ogc.pgt_ambiti``; returns the row count."""
    import pyogrio

    from etl.synthetic.pgt import generate

    gpkg = generate(scale=scale, seed=SEED)
    with connection.cursor() as cur:
        db.execute(cur, db.compose("CREATE SCHEMA IF NOT EXISTS {schema}", schema=SCHEMA))
        cur.execute("SELECT obj_description(to_regclass(%s), 'pg_class')", [TABLE])
        row = cur.fetchone()
        if row and row[0] == gpkg.name:
            return db.execute(cur, db.compose("SELECT count(*) FROM {t}", t=db.relation(TABLE))).fetchone()[0]
        db.execute(cur, db.compose("DROP TABLE IF EXISTS {t}", t=db.relation(TABLE)))
    datasource, env = _pg()
    for code, _geometry in pyogrio.list_layers(gpkg):
        if not code.replace("_", "").isalpha():  # layer names are regional codes; anything else is not ours
            raise ValueError(f"unexpected layer {code!r} in {gpkg}")
        # GDAL's SQLite dialect, not PostgreSQL (psycopg cannot compose it): the code was checked just above.
        sql = f"SELECT ID AS feature_key, ISTAT_COM AS istat_code, '{code}' AS layer, geom FROM \"{code}\""
        subprocess.run(
            [
                "ogr2ogr",
                "-f",
                "PostgreSQL",
                datasource,
                str(gpkg),
                "-dialect",
                "SQLite",
                "-sql",
                sql,
                "-nln",
                TABLE,
                "-append",
                "-nlt",
                "MULTIPOLYGON",
                "-lco",
                "GEOMETRY_NAME=geom",
                "-lco",
                "FID=id",
                "-lco",
                "SPATIAL_INDEX=NONE",
                "-gt",
                "65536",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
    with connection.cursor() as cur:
        table = db.relation(TABLE)
        db.execute(cur, db.compose("CREATE INDEX ON {t} USING gist (geom)", t=table))
        db.execute(cur, db.compose("ANALYZE {t}", t=table))
        db.execute(cur, db.compose("COMMENT ON TABLE {t} IS {name}", t=table, name=db.literal(gpkg.name)))
        return db.execute(cur, db.compose("SELECT count(*) FROM {t}", t=table)).fetchone()[0]


def _pg():
    from layers.exports.gpkg import pg_datasource

    return pg_datasource()


@contextmanager
def bench_layer():
    """A published, public registry row for the synthetic set, removed afterwards."""
    from layers.models import Layer

    Layer.objects.filter(slug=SLUG).delete()
    layer = Layer.objects.create(
        slug=SLUG,
        title_it="PGT (benchmark, sintetico)",
        title_en="PGT (benchmark, synthetic)",
        theme="pgt",
        source=TABLE,
        published=True,
        synthetic=True,
        style=STYLE,
        abstract_it="Dati sintetici generati per i benchmark.",
        abstract_en="Synthetic data generated for benchmarks.",
    )
    try:
        yield layer
    finally:
        Layer.objects.filter(pk=layer.pk).delete()

"""Shared set-up of the OGC and export benchmarks: a synthetic full-scale PGT layer in its own schema.

The set lives in schema ``bench_ogc`` (never in the app's tables): ``scale`` squares on a regular
grid over the 133 comuni, each with its comune's ISTAT code and regional-style attributes, labelled
synthetic. It is generated once by SQL (deterministic) and reused while its size matches. A registry
row pointing at it exists only while a benchmark runs (:func:`bench_layer`), so the app's catalogue
is left as it was found.

Interface relied upon: ``mappature_comune(istat_code, geom MultiPolygon 32632)`` loaded by the ETL
(``make run``). When the ETL's PGT generator is on main, this module can point the layer at its
``pgt_*`` view instead of ``bench_ogc.pgt_ambiti``.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection

SCHEMA = "bench_ogc"
TABLE = f"{SCHEMA}.pgt_ambiti"
SLUG = "bench-pgt-ambiti"
STYLE = {"kind": "categorized", "field": "dfun_prev1", "stroke": "#444444", "stroke_width": 0.3, "classes": [
    {"value": "Residenziale", "fill": "#e31a1c"}, {"value": "Produttivo", "fill": "#6a3d9a"},
    {"value": "Terziario", "fill": "#ff7f00"}, {"value": "Servizi", "fill": "#1f78b4"}]}

GENERATE = f"""
CREATE TABLE {TABLE} AS
WITH ext AS (SELECT ST_Extent(geom) AS e, sum(ST_Area(geom)) AS a FROM mappature_comune),
step AS (SELECT sqrt(a / (%(n)s * 1.03)) AS s, e FROM ext),
pts AS (
  SELECT ST_SetSRID(ST_MakePoint(ST_XMin(e) + i * s, ST_YMin(e) + j * s), 32632) AS p, s
  FROM step,
       generate_series(0, ceil((ST_XMax(e) - ST_XMin(e)) / s)::int) AS i,
       generate_series(0, ceil((ST_YMax(e) - ST_YMin(e)) / s)::int) AS j)
SELECT (row_number() OVER (ORDER BY ST_X(p), ST_Y(p)))::int AS id, c.istat_code,
       c.istat_code || '-B' || (row_number() OVER (ORDER BY ST_X(p), ST_Y(p)))::text AS feature_key,
       'Ambito sintetico ' || (row_number() OVER (ORDER BY ST_X(p), ST_Y(p)))::text AS nome_amb,
       (ARRAY['Residenziale', 'Produttivo', 'Terziario', 'Servizi'])[1 + (abs(hashtext(ST_AsText(p))) %% 4)]
         AS dfun_prev1,
       round((4 * s * s * 0.35 * 0.35)::numeric, 1)::double precision AS sup_terr,
       true AS synthetic,
       ST_Multi(ST_Expand(p, s * 0.35))::geometry(MultiPolygon, 32632) AS geom
FROM pts JOIN mappature_comune c ON ST_Intersects(c.geom, pts.p)
ORDER BY id LIMIT %(n)s
"""


def ensure_dataset(scale: int) -> int:
    """Create (or reuse) the synthetic set of ``scale`` polygons; returns its row count."""
    with connection.cursor() as cur:
        cur.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [TABLE])
        if cur.fetchone()[0]:
            cur.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608 - constant
            if cur.fetchone()[0] == scale:
                return scale
            cur.execute(f"DROP TABLE {TABLE}")
        cur.execute(GENERATE, {"n": scale})
        cur.execute(f"ALTER TABLE {TABLE} ADD PRIMARY KEY (id)")
        cur.execute(f"CREATE INDEX ON {TABLE} USING gist (geom)")
        cur.execute(f"ANALYZE {TABLE}")
        cur.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608 - constant
        return cur.fetchone()[0]


@contextmanager
def bench_layer():
    """A published, public registry row for the synthetic set, removed afterwards."""
    from layers.models import Layer

    Layer.objects.filter(slug=SLUG).delete()
    layer = Layer.objects.create(
        slug=SLUG, title_it="Ambiti (benchmark, sintetico)", title_en="Areas (benchmark, synthetic)",
        theme="pgt", source=TABLE, published=True, synthetic=True, style=STYLE,
        abstract_it="Dati sintetici generati per i benchmark.", abstract_en="Synthetic data generated for benchmarks.")
    try:
        yield layer
    finally:
        Layer.objects.filter(pk=layer.pk).delete()

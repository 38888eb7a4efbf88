"""The staging tables of one validation: COPY the delivered features in, reproject, then promote.

Staging tables are UNLOGGED tables of the ``consegne_staging`` schema named after the delivery
(they live in shared buffers, write no WAL and are dropped when the validation ends); promotion
copies a passing delivery into a ``bozza`` PGT act in one statement.
"""

from __future__ import annotations

import datetime as dt
import json
from itertools import repeat

from django.db import connection

from etl.readers.delivery import UploadedLayer

from .spec import LayerSpec

SCHEMA = "consegne_staging"
# Overlaps narrower than twice this (10 cm, a hundredth of a millimetre at 1:10,000) are not reported.
OVERLAP_TOLERANCE_M = 0.05


class Staging:
    """Names of the staging tables of delivery ``pk`` (identifiers built from an integer only)."""

    def __init__(self, pk: int):
        pk = int(pk)
        self.raw = f"{SCHEMA}.raw_{pk}"
        self.features = f"{SCHEMA}.stg_{pk}"
        self.comune = f"{SCHEMA}.cmn_{pk}"
        self.pieces = f"{SCHEMA}.pcs_{pk}"
        self.buckets = f"{SCHEMA}.bkt_{pk}"
        self.copied = 0

    def create(self) -> None:
        self.drop()
        with connection.cursor() as cur:
            # The planner's cost of the spatial functions makes PostgreSQL JIT-compile the staging and
            # check queries, which costs seconds and saves nothing at these sizes (reset by drop()).
            cur.execute("SET jit = off")
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
            cur.execute(f"""CREATE UNLOGGED TABLE {self.raw} (
                fid integer, layer text, rownum integer, key text, attrs jsonb, src_srid integer, wkb bytea)""")

    def copy_layer(self, layer: LayerSpec, data: UploadedLayer) -> int:
        """COPY one read layer into the raw staging table (only the spec's fields are kept)."""
        table = data.table
        names = [f.name for f in layer.fields if f.name in table.columns]
        columns = [table.columns[n] for n in names]
        keys = table.columns.get(layer.key_field) if layer.key_field else None
        geoms = table.geometries or [None] * table.count
        keys = keys if keys is not None else [None] * table.count
        records = zip(*columns, strict=True) if columns else repeat((), table.count)
        rows = list(_rows(self.copied, layer.code, table.srid, names, records, keys, geoms))
        self.copied += table.count
        with connection.cursor() as cur, cur.cursor.copy(
            f"COPY {self.raw} (fid, layer, rownum, key, attrs, src_srid, wkb) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
        return table.count

    def build(self) -> None:
        """Reproject to EPSG:32632 and precompute what every check needs, then index."""
        with connection.cursor() as cur:
            # OFFSET 0 keeps the geometry parsed once per row: without the fence PostgreSQL inlines the
            # subquery and decodes the WKB again for every column derived from it.
            cur.execute(f"""
                CREATE UNLOGGED TABLE {self.features} AS
                SELECT fid, layer, rownum, key, attrs, label, geom, gtype, valid,
                       valid AND gtype IN ('POLYGON', 'MULTIPOLYGON') AS ok,
                       ST_Area(geom) AS area, ST_XMin(geom) AS x0, ST_YMin(geom) AS y0,
                       ST_XMax(geom) AS x1, ST_YMax(geom) AS y1,
                       -- bounding box shrunk by OVERLAP_TOLERANCE_M: neighbours that only share an edge no
                       -- longer meet, so the (exact, float8) box index finds only real overlap candidates
                       box(point(ST_XMin(geom) + {OVERLAP_TOLERANCE_M}, ST_YMin(geom) + {OVERLAP_TOLERANCE_M}),
                           point(ST_XMax(geom) - {OVERLAP_TOLERANCE_M}, ST_YMax(geom) - {OVERLAP_TOLERANCE_M})) AS sbox
                FROM (SELECT fid, layer, rownum, key, attrs, label, geom, GeometryType(geom) AS gtype,
                             geom IS NOT NULL AND NOT ST_IsEmpty(geom) AND ST_IsValid(geom) AS valid
                      FROM (SELECT fid, layer, rownum, key, attrs,
                                   'n. ' || rownum || CASE WHEN key <> '' THEN ' · ' || key ELSE '' END AS label,
                                   CASE WHEN src_srid = 32632 THEN ST_SetSRID(ST_GeomFromWKB(wkb), 32632)
                                        ELSE ST_Transform(ST_SetSRID(ST_GeomFromWKB(wkb), src_srid), 32632)
                                   END AS geom
                            FROM {self.raw} OFFSET 0) r
                      OFFSET 0) s""")
            cur.execute(f"DROP TABLE {self.raw}")
            self._bucket(cur)
            cur.execute(f"ANALYZE {self.features} (fid, layer, ok, key)")  # geometry statistics are not needed

    def _bucket(self, cur) -> None:
        """Put every feature in the squares of a regular grid its box touches.

        Pairs of features that may overlap are then found by a hash join on the square, far faster
        than one index probe per feature; the square is twice the size of 90% of the features.
        """
        cur.execute(f"""
            CREATE UNLOGGED TABLE {self.buckets} AS
            WITH grid AS (SELECT greatest(2 * percentile_cont(0.9) WITHIN GROUP (ORDER BY greatest(x1 - x0, y1 - y0)),
                                          1.0) AS size
                          FROM {self.features} WHERE ok)
            SELECT s.fid, s.layer, s.sbox, grid.size, gx, gy
            FROM {self.features} s, grid,
                 generate_series(floor(s.x0 / grid.size)::int, floor(s.x1 / grid.size)::int) gx,
                 generate_series(floor(s.y0 / grid.size)::int, floor(s.y1 / grid.size)::int) gy
            WHERE s.ok""")
        cur.execute(f"ANALYZE {self.buckets} (layer, gx, gy)")

    def promote(self, atto_id: int, istat_code: str) -> int:
        """Copy the staged features into PGT act ``atto_id``; keyless features are keyed by geometry."""
        with connection.cursor() as cur:
            cur.execute(f"""
                INSERT INTO mappature_pgtfeature (atto_id, istat_code, layer, feature_key, attrs, geom)
                SELECT %s, %s, layer,
                       CASE WHEN key <> '' THEN key
                            ELSE 'g' || left(md5(ST_AsBinary(ST_Normalize(ST_SnapToGrid(geom, 0.01)))), 20) END,
                       attrs, ST_Multi(geom)
                FROM {self.features} WHERE ok""", [atto_id, istat_code])
            return cur.rowcount

    def drop(self) -> None:
        with connection.cursor() as cur:
            tables = ", ".join([self.raw, self.features, self.comune, self.pieces, self.buckets])
            cur.execute(f"DROP TABLE IF EXISTS {tables}")
            cur.execute("RESET jit")


def _rows(offset: int, code: str, srid: int | None, names: list[str], records, keys, geoms):
    """Rows of the raw staging table; building them apart from COPY keeps the COPY loop tight.

    ``fid`` numbers features across layers here rather than with a window function in SQL, which
    would keep PostgreSQL from building the staging table with parallel workers.
    """
    dumps = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode
    for i, (values, key, wkb) in enumerate(zip(records, keys, geoms, strict=True), start=1):
        attrs = dumps(dict(zip(names, values, strict=True)))
        yield offset + i, code, i, "" if key is None else str(key).strip(), attrs, srid, wkb


def _json_default(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    raise TypeError(type(value).__name__)

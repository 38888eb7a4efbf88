"""The staging table of one validation: COPY the delivered features in, reproject, then promote.

The staging table is a temporary table of the worker's session, so a failed validation leaves
nothing behind; promotion copies a passing delivery into a ``bozza`` PGT act in one statement.
"""

from __future__ import annotations

import datetime as dt
import json

from django.db import connection

from etl.readers import UploadedLayer

from .spec import LayerSpec

STAGING = "consegne_stg"


def create() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {STAGING}_raw; DROP TABLE IF EXISTS {STAGING}")
        cur.execute(f"""CREATE TEMP TABLE {STAGING}_raw (
            layer text, rownum integer, key text, attrs jsonb, src_srid integer, wkb bytea)""")


def _json_value(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def copy_layer(layer: LayerSpec, data: UploadedLayer) -> int:
    """COPY one read layer into the raw staging table (only the spec's fields are kept)."""
    table = data.table
    names = [f.name for f in layer.fields if f.name in table.columns]
    columns = [table.columns[n] for n in names]
    keys = table.columns.get(layer.key_field) if layer.key_field else None
    geoms = table.geometries or [None] * table.count
    with connection.cursor() as cur, cur.cursor.copy(
        f"COPY {STAGING}_raw (layer, rownum, key, attrs, src_srid, wkb) FROM STDIN"
    ) as copy:
        for i in range(table.count):
            attrs = {n: _json_value(col[i]) for n, col in zip(names, columns, strict=True)}
            key = str(keys[i]).strip() if keys is not None and keys[i] is not None else ""
            copy.write_row((layer.code, i + 1, key, json.dumps(attrs, ensure_ascii=False), table.srid, geoms[i]))
    return table.count


def build() -> None:
    """Reproject to EPSG:32632 and precompute what every check needs, then index."""
    with connection.cursor() as cur:
        cur.execute(f"""
            CREATE TEMP TABLE {STAGING} AS
            SELECT row_number() OVER () AS fid, layer, rownum, key, attrs,
                   'n. ' || rownum || CASE WHEN key <> '' THEN ' · ' || key ELSE '' END AS label, geom,
                   GeometryType(geom) AS gtype,
                   geom IS NOT NULL AND NOT ST_IsEmpty(geom) AND ST_IsValid(geom)
                     AND GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON') AS ok
            FROM (SELECT r.*, ST_Transform(ST_SetSRID(ST_GeomFromWKB(r.wkb), r.src_srid), 32632) AS geom
                  FROM {STAGING}_raw r) s""")
        cur.execute(f"DROP TABLE {STAGING}_raw")
        cur.execute(f"CREATE INDEX ON {STAGING} USING gist (geom) WHERE ok")
        cur.execute(f"ANALYZE {STAGING}")


def promote(atto_id: int, istat_code: str) -> int:
    """Copy the staged features into PGT act ``atto_id``; keyless features are keyed by geometry."""
    with connection.cursor() as cur:
        cur.execute(f"""
            INSERT INTO mappature_pgtfeature (atto_id, istat_code, layer, feature_key, attrs, geom)
            SELECT %s, %s, layer,
                   CASE WHEN key <> '' THEN key
                        ELSE 'g' || left(md5(ST_AsBinary(ST_Normalize(ST_SnapToGrid(geom, 0.01)))), 20) END,
                   attrs, ST_Multi(geom)
            FROM {STAGING} WHERE ok""", [atto_id, istat_code])
        return cur.rowcount


def drop() -> None:
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {STAGING}_raw; DROP TABLE IF EXISTS {STAGING}")

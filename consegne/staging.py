"""The staging tables of one validation: COPY the delivered features in, reproject, then promote.

Staging tables are UNLOGGED tables of the ``consegne_staging`` schema named after the delivery
(they live in shared buffers, write no WAL and are dropped when the validation ends); promotion
copies a passing delivery into a ``bozza`` PGT act in one statement.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import partial

import numpy as np
import pyarrow as pa
from django.db import connection

from etl import convert
from etl.readers.delivery import UploadedLayer
from remix import db
from remix.db import copy

from . import lanes, prefilter
from .rules import severity
from .spec import LayerSpec
from .values import MAX_KEY

SCHEMA = "consegne_staging"


# What every check needs, computed by PostgreSQL as each row arrives (COPY evaluates generated
# columns): no second pass over the features, no second copy of them.
DERIVED = db.SQL("""
    label text GENERATED ALWAYS AS ('n. ' || rownum::text || CASE WHEN key <> '' THEN ' · ' || left(key, 60)
        || CASE WHEN length(key) > 60 THEN '…' ELSE '' END ELSE '' END) STORED,
    ok boolean GENERATED ALWAYS AS (geom IS NOT NULL AND NOT ST_IsEmpty(geom)
        AND GeometryType(geom) IN ('POLYGON', 'MULTIPOLYGON') AND ST_IsValid(geom)) STORED,
    area float8 GENERATED ALWAYS AS (ST_Area(geom)) STORED,
    x0 float8 GENERATED ALWAYS AS (ST_XMin(geom)) STORED,
    y0 float8 GENERATED ALWAYS AS (ST_YMin(geom)) STORED""")
COLUMNS = db.join(["fid", "layer", "rownum", "key", "attrs"])
# The columns of the staging tables: the features in EPSG:32632, those to reproject, the pair findings.
FEATURES = (
    db.SQL("fid integer, layer text, rownum integer, key text, attrs jsonb, geom geometry(Geometry, 32632),") + DERIVED
)
RAW = db.SQL("fid integer, layer text, rownum integer, key text, attrs jsonb, src_srid integer, wkb geometry")
PAIRS = db.SQL("consegna_id integer, severity text, rule text, layer text, feature text, params jsonb, geom geometry")


def _table(prefix: str, pk: int) -> db.Identifier:
    """The staging table ``prefix``_``pk`` of the staging schema."""
    return db.ident(SCHEMA, f"{prefix}_{int(pk)}")


class Staging:
    """The staging tables of delivery ``pk`` (identifiers built from an integer only).

    ``features`` holds every delivered feature in EPSG:32632 with what the checks need
    (label, ``ok`` = a valid non-empty polygon, area, bounds); layers in another CRS arrive in
    ``raw`` first and are reprojected into it by :meth:`build`.
    """

    def __init__(self, pk: int):
        self.raw = _table("raw", pk)
        self.features = _table("stg", pk)
        self.comune = _table("cmn", pk)
        self.pieces = _table("pcs", pk)
        self.candidates = _table("prs", pk)
        self.edge = _table("edg", pk)
        self.pairs = _table("fnd", pk)  # pair findings (overlaps, cross-layer) before they are bounded
        self.delivered: list[tuple[str, int, object]] = []  # (code, first fid, WKB) of layers in 32632
        self.reprojected: list[str] = []
        self.staged: set[str] = set()  # codes of the layers with at least one feature staged

    def create(self) -> None:
        self.drop()
        with connection.cursor() as cur:
            # The planner's cost of the spatial functions makes PostgreSQL JIT-compile the staging and
            # check queries, which costs seconds and saves nothing at these sizes (reset by drop()).
            db.execute(cur, "SET jit = off")
            # The app's role may CREATE in the schema but not in the database (scripts/pg.sh makes it).
            if db.execute(cur, "SELECT to_regnamespace(%s) IS NULL", [SCHEMA]).fetchone()[0]:
                db.execute(cur, db.compose("CREATE SCHEMA IF NOT EXISTS {schema}", schema=SCHEMA))
            for table, columns in [(self.features, FEATURES), (self.raw, RAW), (self.pairs, PAIRS)]:
                db.execute(cur, db.compose("CREATE UNLOGGED TABLE {table} ({columns})", table=table, columns=columns))

    def copy_layers(self, layers: list[tuple[LayerSpec, UploadedLayer]], progress, deadline=None) -> dict[str, float]:
        """COPY the read layers into the staging tables, in two lanes at once (see consegne.lanes).

        Features are numbered (``fid``) in delivery order before the lanes start.
        """
        steps, first = [], 1
        for layer, data in layers:
            steps.append((layer, data, first))
            first += data.table.count
        split = lanes.balance(steps, lambda step: step[1].table.count)
        return lanes.run(
            [
                [(layer.code, partial(self.copy_layer, layer, data, first)) for layer, data, first in lane]
                for lane in split
            ],
            progress,
            deadline,
        )

    def copy_layer(self, layer: LayerSpec, data: UploadedLayer, first: int = 1) -> int:
        """COPY one read layer into the staging tables (only the spec's fields are kept), numbering
        its features from ``first``.

        The rows are built as Arrow columns (attributes as JSON text, geometries as hex WKB) and
        sent as CSV: a large delivery never becomes Python objects, except for the few columns
        Arrow cannot render exactly (see :mod:`remix.db.copy`), which are encoded row by row.
        A layer in EPSG:32632 goes straight into ``features`` (the WKB takes the column's SRID);
        one in another CRS into ``raw``, with its SRID.
        """
        table, count = data.table, data.table.count
        if count:
            self.staged.add(layer.code)
        columns = {
            "fid": pa.array(np.arange(first, first + count, dtype=np.int32)),
            "layer": pa.repeat(layer.code, count),
            "rownum": pa.array(np.arange(1, count + 1, dtype=np.int32)),
            "key": _keys(table, layer.key_field),
            "attrs": _attrs(table, [f.name for f in layer.fields if f.name in table.columns]),
        }
        if table.srid != 32632:
            columns["src_srid"] = pa.repeat(pa.scalar(table.srid, pa.int32()), count)
            self.reprojected.append(layer.code)
        elif table.geometries is not None:
            self.delivered.append((layer.code, first, table.geometries))
        columns["geom" if table.srid == 32632 else "wkb"] = (
            copy.hex_wkb(table.geometries.array) if table.geometries is not None else pa.nulls(count, pa.string())
        )
        rows = pa.table(columns)
        with connection.cursor() as cur:
            copy.copy_table(cur, self.features if table.srid == 32632 else self.raw, rows)
        return count

    def build(self) -> None:
        """Reproject the layers delivered in another CRS into ``features``."""
        with connection.cursor() as cur:
            if self.reprojected:  # one statement for all such layers (rare: most deliveries are in 32632)
                db.execute(
                    cur,
                    db.compose(
                        """INSERT INTO {features} ({columns}, geom)
                        SELECT {columns}, ST_Transform(ST_SetSRID(wkb, src_srid), 32632) FROM {raw}""",
                        features=self.features,
                        columns=COLUMNS,
                        raw=self.raw,
                    ),
                )
            db.execute(cur, db.compose("DROP TABLE {raw}", raw=self.raw))

    def analyze(self) -> None:
        with connection.cursor() as cur:
            # Geometry statistics are not needed.
            db.execute(cur, db.compose("ANALYZE {features} (fid, layer, ok, key)", features=self.features))

    def prefilter(self, same: list[str], cross: list[tuple[str, str]]) -> None:
        """The candidate pairs of the overlap (``same`` layers) and cross-layer checks, in
        ``candidates``; the features near or beyond the comune's boundary, in ``edge``
        (see :mod:`consegne.prefilter`; the comune's table must exist)."""
        layers = prefilter.Layers()
        unread = [code for code, first, geometries in self.delivered if not layers.add_wkb(code, first, geometries)]
        for code in self.reprojected + unread:
            layers.add_staged(self.features, code)
        pairs = layers.pairs(same, cross)
        prefilter.copy_table(self.candidates, {"afid": pairs[:, 0], "bfid": pairs[:, 1]})
        row = db.fetch_one(db.compose("SELECT ST_AsBinary(inner_geom) FROM {comune}", comune=self.comune))
        prefilter.copy_table(self.edge, {"fid": layers.edge(bytes(row[0]) if row and row[0] else None)})

    def promote(self, atto_id: int, istat_code: str) -> int:
        """Copy the staged features into PGT act ``atto_id``; keyless features are keyed by geometry."""
        query = db.compose(
            """
            INSERT INTO mappature_pgtfeature (atto_id, istat_code, layer, feature_key, attrs, geom)
            SELECT %(atto)s, %(istat)s, layer,
                   CASE WHEN key = ''
                            THEN 'g' || left(md5(ST_AsBinary(ST_Normalize(ST_SnapToGrid(geom, 0.01)))), 20)
                        WHEN length(key) <= %(max_key)s THEN key
                        -- a key longer than the column: its start and a digest of the whole (reported)
                        ELSE left(key, %(max_key)s - 13) || '~' || left(md5(key), 12) END,
                   attrs, ST_Multi(geom)
            FROM {features} WHERE ok""",
            features=self.features,
        )
        with connection.cursor() as cur:
            return db.execute(cur, query, {"atto": atto_id, "istat": istat_code, "max_key": MAX_KEY}).rowcount

    def locate(self, consegna_id: int, found: list) -> None:
        """Store findings about single features (``consegne.values.RowFound``, by layer and row number)
        with the staged feature's label and a point of it on the map."""
        if not found:
            return
        columns = ("severity", "rule", "layer", "rownum", "params")
        rows = zip(*[(severity(f.rule), f.rule, f.layer, f.row, json.dumps(f.params)) for f in found], strict=True)
        query = db.compose(
            """INSERT INTO consegne_finding (consegna_id, severity, rule, layer, feature, params, geom)
            SELECT %(consegna)s, r.severity, r.rule, r.layer, coalesce(s.label, 'n. ' || r.rownum), r.params::jsonb,
                   CASE WHEN s.ok THEN ST_PointOnSurface(s.geom) ELSE ST_Centroid(ST_Envelope(s.geom)) END
            FROM unnest(%(severity)s::text[], %(rule)s::text[], %(layer)s::text[], %(rownum)s::int[],
                        %(params)s::text[]) AS r(severity, rule, layer, rownum, params)
            LEFT JOIN {features} s ON s.layer = r.layer AND s.rownum = r.rownum
            ORDER BY r.layer, r.rownum""",
            features=self.features,
        )
        with connection.cursor() as cur:
            db.execute(cur, query, {"consegna": consegna_id, **dict(zip(columns, map(list, rows), strict=True))})

    def drop(self) -> None:
        tables = [self.raw, self.features, self.comune, self.pieces, self.candidates, self.edge, self.pairs]
        with connection.cursor() as cur:
            db.execute(cur, db.compose("DROP TABLE IF EXISTS {tables}", tables=tables))
            db.execute(cur, "RESET jit")


def _keys(table, key_field: str) -> pa.Array:
    """Each feature's natural key as trimmed text, "" when it has none."""
    if not key_field or key_field not in table.columns:
        return pa.repeat("", table.count)
    column = table.columns.table.column(key_field).combine_chunks()
    try:
        return convert.as_text(column).fill_null("")
    except copy.Unsupported:  # e.g. a real-number key: Python prints it as the row path always did
        return pa.array(["" if v is None else str(v).strip() for v in column.to_pylist()], pa.string())


def _attrs(table, names: list[str]) -> pa.Array:
    """The spec fields of each feature as a JSON object (nulls included), as text."""
    arrow = table.columns.table
    try:
        return copy.json_objects([(n, arrow.column(n).combine_chunks()) for n in names], table.count, nulls=True)
    except copy.Unsupported:  # control characters, NaN, timestamps, binary: encoded row by row
        dumps = json.JSONEncoder(ensure_ascii=False, default=_json_default).encode
        rows = arrow.select(names).to_pylist()
        return pa.array([dumps(row) for row in rows], pa.string())


def _json_default(value):
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    raise TypeError(type(value).__name__)

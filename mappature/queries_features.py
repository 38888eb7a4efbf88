"""Features of a map layer as GeoJSON pages, attribute-table rows, CSV and identify hits.

Geometries are stored in EPSG:32632 and returned in EPSG:4326; bbox values arrive in EPSG:4326.
Every value is bound; identifiers come from ``LayerSource`` (checked against the catalogue) and are
composed with ``psycopg.sql`` (``remix.db``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection

from remix import db
from remix.conf import shared_cache

from .filters import MapFilter
from .layer_source import LayerSource
from .queries import COMUNE_AT_JSON

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Page:
    """One page of a layer: its features as a JSON array of GeoJSON features, as PostgreSQL wrote it (the API
    sends it as it is: parsing a page of 1,000 features and writing it again cost 30 ms a page), how many it
    holds, how many match (capped) and the paging window."""

    features_json: str
    returned: int
    matched: int
    matched_is_exact: bool
    limit: int
    offset: int

    @property
    def features(self) -> list[dict]:
        """The features as GeoJSON dicts."""
        return json.loads(self.features_json)


@dataclass(frozen=True)
class TableQuery:
    """What the attribute table adds to the selection: a feature id, per-column text filters, a sort.

    Column names are checked against the layer's attributes before use (``table_query``) and quoted;
    the filter texts are bound (case- and accent-insensitive substring of the value as text)."""

    feature_id: int | None = None
    contains: tuple[tuple[str, str], ...] = ()
    sort: str | None = None
    descending: bool = False


NO_TABLE_QUERY = TableQuery()


def _where(
    source: LayerSource, flt: MapFilter, bbox: BBox | None, tq: TableQuery = NO_TABLE_QUERY
) -> tuple[db.Composable, list]:
    where, params = source.where(flt)
    clauses = [where]
    if bbox is not None:
        clauses.append(db.SQL("t.geom && ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 32632)"))
        params = [*params, *bbox]
    if tq.feature_id is not None:
        clauses.append(db.compose("t.{key} = %s", key=source.key))
        params = [*params, tq.feature_id]
    for name, text in tq.contains:
        clauses.append(
            db.compose(
                "{value} LIKE '%%' || {text} || '%%'",
                value=_fold(db.compose("t.{c}::text", c=name)),
                text=_fold(db.SQL("%s")),
            )
        )
        params = [*params, text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")]
    return db.SQL(" AND ").join(clauses), params


_FOLD = db.SQL("translate(lower({expr}), 'àáâäèéêëìíîïòóôöùúûüç', 'aaaaeeeeiiiioooouuuuc')")


def _fold(expr: db.Composable) -> db.Composable:
    """SQL folding case and Italian accents (no extension needed): «Città» matches «citta»."""
    return _FOLD.format(expr=expr)


def _order(source: LayerSource, tq: TableQuery) -> db.Composable:
    if tq.sort is None:
        return db.compose("t.{key}", key=source.key)
    direction = db.SQL("DESC" if tq.descending else "ASC")
    return db.compose("t.{c} {dir} NULLS LAST, t.{key}", c=tq.sort, dir=direction, key=source.key)


def _props_sql(source: LayerSource) -> db.Composable:
    if not source.attributes:
        return db.SQL("'{}'::json")
    pairs = db.join(db.compose("%s::text, t.{c}", c=name) for name in source.attributes)
    return db.compose("json_build_object({pairs})", pairs=pairs)


def _props_params(source: LayerSource) -> list:
    """The property names of ``_props_sql``, bound in order."""
    return list(source.attributes)


def count(
    source: LayerSource, flt: MapFilter, bbox: BBox | None, cap: int, tq: TableQuery = NO_TABLE_QUERY
) -> tuple[int, bool]:
    """How many features match, counting at most ``cap + 1`` rows (so a huge layer stays cheap)."""
    where, params = _where(source, flt, bbox, tq)
    query = db.compose(
        "SELECT count(*) FROM (SELECT 1 FROM {table} t WHERE {where} LIMIT %s) s", table=source.table, where=where
    )
    n = db.fetch_value(query, [*params, cap + 1])
    return min(n, cap), n <= cap


def page(
    source: LayerSource,
    flt: MapFilter,
    bbox: BBox | None,
    limit: int,
    offset: int,
    *,
    geometry: bool = True,
    count_cap: int = 10000,
    tq: TableQuery = NO_TABLE_QUERY,
) -> Page:
    """A page of features ordered by id (or the table's sort); ``geometry=False`` serves the attribute table.

    ``limit=0`` is the count alone (a layer's count in the map's tree): no page is read, so the planner is
    never asked for the first rows in id order of a scattered selection (a walk of the primary key).

    A page after the first (``offset`` > 0) takes two statements: the keys of the page (the selection sorted,
    reading only the key and the sort's columns), then its rows by key. The rows an OFFSET skips are read too,
    and a view's computed columns (the interventions' comuni and point) were computed for each of them: the
    second page of 1,060 interventions computed all 1,060 (43 ms; 4 ms now). The rows are asked for by key with
    a plain WHERE, which any view takes as it takes the table's own ``id`` filter. The first page stays one
    statement (one round trip: what a page of the attribute table and a map layer's first load mostly ask)."""
    if limit == 0:
        matched, exact = count(source, flt, bbox, count_cap, tq)
        return Page("[]", 0, matched, exact, limit, offset)
    where, params = _where(source, flt, bbox, tq)
    order = _order(source, tq)
    geom = db.SQL("ST_AsGeoJSON(ST_Transform(t.geom, 4326), 6)::json" if geometry else "NULL::json")
    window = db.compose(
        "(SELECT t.{columns}, row_number() OVER (ORDER BY {order}) AS rn FROM {table} t WHERE {where}"
        " ORDER BY {order} LIMIT %s OFFSET %s) t",
        columns=db.SQL("*") if offset == 0 else source.key,
        order=order,
        table=source.table,
        where=where,
    )
    feature = db.compose(
        "json_build_object('type', 'Feature', 'id', t.{key}, 'geometry', {geom}, 'properties', {props})",
        key=source.key,
        geom=geom,
        props=_props_sql(source),
    )
    if offset == 0:
        query = db.compose(
            "SELECT coalesce(json_agg({feature} ORDER BY t.rn), '[]'::json)::text, count(*) FROM {window}",
            feature=feature,
            window=window,
        )
        features, returned = db.fetch_one(query, [*_props_params(source), *params, limit, offset])
    else:
        keys_query = db.compose("SELECT t.{key} FROM {window} ORDER BY t.rn", key=source.key, window=window)
        keys = [key for (key,) in db.fetch_all(keys_query, [*params, limit, offset])]
        returned, features = len(keys), "[]"
        if keys:
            query = db.compose(
                "SELECT json_agg({feature} ORDER BY {order})::text FROM {table} t WHERE t.{key} = ANY(%s)",
                feature=feature,
                order=order,
                table=source.table,
                key=source.key,
            )
            features = db.fetch_value(query, [*_props_params(source), keys])
    if offset == 0 and returned < limit:
        matched, exact = returned, True  # the whole selection fits in this page: no count query
    else:
        matched, exact = count(source, flt, bbox, count_cap, tq)
    return Page(features, returned, matched, exact, limit, offset)


def csv_copy_sql(
    source: LayerSource, flt: MapFilter, bbox: BBox | None, tq: TableQuery = NO_TABLE_QUERY
) -> tuple[db.Composable, list]:
    """COPY … TO STDOUT statement (CSV, no header) of the selected rows, with its bound values."""
    where, params = _where(source, flt, bbox, tq)
    query = db.compose(
        "COPY (SELECT {columns} FROM {table} t WHERE {where} ORDER BY {order}) TO STDOUT WITH (FORMAT csv)",
        columns=source.select_list(),
        table=source.table,
        where=where,
        order=_order(source, tq),
    )
    return query, params


def stream_csv(
    source: LayerSource, flt: MapFilter, bbox: BBox | None, tq: TableQuery = NO_TABLE_QUERY
) -> Iterator[bytes]:
    """The selected rows as CSV bytes, streamed by PostgreSQL's COPY (no row cap, constant memory).

    The first item is yielded only once the COPY has started and produced its first chunk (or ended):
    the caller pulls it before answering, so a failing query is an error, never a 200 with a header only.
    """
    header = ",".join('"' + label.replace('"', '""') + '"' for label in source.labels) + "\r\n"
    sql, params = csv_copy_sql(source, flt, bbox, tq)
    with connection.cursor() as cur, cur.cursor.copy(db.render(sql, cur), params) as copy:
        chunks = iter(copy)
        first = next(chunks, b"")
        yield header.encode() + bytes(first)
        yield from (bytes(chunk) for chunk in chunks)


def identify(
    source: LayerSource, flt: MapFilter, lon: float, lat: float, tolerance_m: float, limit: int = 10
) -> list[dict]:
    """Features of one layer within ``tolerance_m`` metres of a WGS84 point, nearest first."""
    query, params = _identify_query(source, flt, lon, lat, tolerance_m, limit)
    return json.loads(db.fetch_value(db.compose("SELECT ({hits})::text", hits=query), params))


def identify_and_comune(
    source: LayerSource, flt: MapFilter, lon: float, lat: float, tolerance_m: float, limit: int = 10
) -> tuple[list[dict], dict | None]:
    """``identify`` and ``queries.comune_at`` of the same point in one statement (one round trip less
    for each click on the map): the hits, and the comune with its zona (None outside CMM)."""
    query, params = _identify_query(source, flt, lon, lat, tolerance_m, limit)
    body = db.compose(
        """
        SELECT json_build_object('hits', ({hits}), 'comune', {comune})::text
    """,
        hits=query,
        comune=COMUNE_AT_JSON,
    )
    answer = json.loads(db.fetch_value(body, [*params, lon, lat]))
    return answer["hits"], answer["comune"]


def _identify_query(
    source: LayerSource, flt: MapFilter, lon: float, lat: float, tolerance_m: float, limit: int
) -> tuple[db.Composable, list]:
    """The JSON array of the hits of ``identify`` (a scalar subquery), with its bound values."""
    where, params = source.where(flt)
    query = db.compose(
        """
        WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 32632) AS g)
        SELECT coalesce(json_agg(json_build_object('id', t.{key}, 'properties', {props})), '[]')
        FROM (SELECT t.* FROM {table} t, p WHERE ST_DWithin(t.geom, p.g, %s) AND {where}
              ORDER BY t.geom <-> p.g LIMIT %s) t
    """,
        key=source.key,
        props=_props_sql(source),
        table=source.table,
        where=where,
    )
    return query, [lon, lat, *_props_params(source), tolerance_m, *params, limit]


def extent(source: LayerSource, flt: MapFilter) -> BBox | None:
    """The WGS84 bounding box of the selected features, or None when nothing is selected."""
    where, params = source.where(flt)
    query = db.compose(
        "SELECT ST_Extent(ST_Transform(t.geom, 4326)) FROM {table} t WHERE {where}", table=source.table, where=where
    )
    box = db.fetch_value(query, params)
    if not box:
        return None
    nums = box.replace("BOX(", "").replace(")", "").replace(",", " ").split()
    return tuple(float(n) for n in nums)


# (layer, relation, data version) → (its data extents, when computed, as epoch seconds): computed once per version
# for every app server (kept in the shared cache, the database's remix_cache table, and in each process), and again
# after EXTENTS_TTL_S seconds at most (data changed without a new version). A process that has not seen them yet
# reads them (one row) instead of grouping the whole layer again (250 ms on the 300,000-polygon PGT set).
_EXTENTS: dict[tuple[str, str, int], tuple[dict, float]] = {}
EXTENTS_TTL_S = 600


def _extents_cache_key(key: tuple[str, str, int]) -> str:
    return "data-extents:" + ":".join(str(part) for part in key)


def data_extents(source: LayerSource) -> dict:
    """Where a layer's features lie, in EPSG:4326: ``all`` (every feature) and, for a layer the territory
    filter reads by its own ``istat_code``, ``comuni`` (ISTAT code → box of that comune's features).

    ``None`` for a box with nothing in it; ``comuni`` is ``None`` when a selection is not a matter of the
    features' own comune (interventions are selected by the comuni they name; other layers are not
    filtered), so that only ``all`` bounds them. A tile outside the box of a selection has none of its
    features: the map does not ask for it (``bounds`` of the tile layer). Each box is the EPSG:32632
    extent of the features, densified every 100 m before it is reprojected, so it contains them all.
    """
    key = (source.slug, source.relation, source.data_version)
    known = _EXTENTS.get(key)
    if known is None:
        known = shared_cache().get(_extents_cache_key(key))
    if known is not None and time.time() - known[1] < EXTENTS_TTL_S:
        _EXTENTS[key] = known
        return known[0]
    by_comune = "istat_code" in source.columns and not source.is_realizzazioni
    group = db.SQL("t.istat_code::text") if by_comune else db.SQL("NULL::text")
    query = db.compose(
        """
        WITH g AS (SELECT {group} AS k, ST_SetSRID(ST_Extent(t.geom)::geometry, 32632) AS box
                   FROM {table} t WHERE t.geom IS NOT NULL GROUP BY 1),
             u AS (SELECT k, box, false AS whole FROM g WHERE k IS NOT NULL
                   UNION ALL SELECT NULL, ST_SetSRID(ST_Extent(box)::geometry, 32632), true FROM g)
        SELECT u.k, u.whole, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
        FROM u, LATERAL (SELECT ST_Transform(ST_Segmentize(u.box, 100), 4326)::box2d AS b) s
        WHERE u.box IS NOT NULL
        """,
        group=group,
        table=source.table,
    )
    comuni: dict[str, list[float]] = {}
    whole = None
    for k, is_all, *box in db.fetch_all(query):
        if is_all:
            whole = _outward(box)
        else:
            comuni[k] = _outward(box)
    extents = {"all": whole, "comuni": comuni if by_comune else None}
    if len(_EXTENTS) > 500:
        _EXTENTS.clear()
    _EXTENTS[key] = (extents, time.time())
    shared_cache().set(_extents_cache_key(key), _EXTENTS[key], timeout=EXTENTS_TTL_S)
    return extents


def _outward(box) -> list[float]:
    """A box rounded to 1e-6 degrees (about 0.1 m) outwards, so that it still holds what it held."""
    west, south, east, north = box
    return [
        math.floor(west * 1e6) / 1e6,
        math.floor(south * 1e6) / 1e6,
        math.ceil(east * 1e6) / 1e6,
        math.ceil(north * 1e6) / 1e6,
    ]

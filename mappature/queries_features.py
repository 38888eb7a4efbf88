"""Features of a map layer as GeoJSON pages, attribute-table rows, CSV and identify hits.

Geometries are stored in EPSG:32632 and returned in EPSG:4326; bbox values arrive in EPSG:4326.
Every value is bound; identifiers come from ``LayerSource`` (checked against the catalogue).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection

from .filters import MapFilter
from .sources import LayerSource, quote

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Page:
    """One page of a layer: features (GeoJSON dicts), how many match (capped) and the paging window."""

    features: list[dict]
    matched: int
    matched_is_exact: bool
    limit: int
    offset: int


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


def _where(source: LayerSource, flt: MapFilter, bbox: BBox | None, tq: TableQuery = NO_TABLE_QUERY) -> tuple[str, list]:
    where, params = source.where(flt)
    if bbox is not None:
        where += " AND t.geom && ST_Transform(ST_MakeEnvelope(%s, %s, %s, %s, 4326), 32632)"
        params = [*params, *bbox]
    if tq.feature_id is not None:
        where += " AND t.id = %s"
        params = [*params, tq.feature_id]
    for name, text in tq.contains:
        where += f" AND {_fold(f't.{quote(name)}::text')} LIKE '%%' || {_fold('%s')} || '%%'"
        params = [*params, text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")]
    return where, params


_ACCENTED, _PLAIN = "àáâäèéêëìíîïòóôöùúûüç", "aaaaeeeeiiiioooouuuuc"


def _fold(expr: str) -> str:
    """SQL folding case and Italian accents (no extension needed): «Città» matches «citta»."""
    return f"translate(lower({expr}), '{_ACCENTED}', '{_PLAIN}')"


def _order(tq: TableQuery) -> str:
    if tq.sort is None:
        return "t.id"
    return f"t.{quote(tq.sort)} {'DESC' if tq.descending else 'ASC'} NULLS LAST, t.id"


def _props_sql(source: LayerSource) -> str:
    pairs = ", ".join(f"'{name}', t.{quote(name)}" for name in source.attributes)
    return f"json_build_object({pairs})" if pairs else "'{}'::json"


def count(
    source: LayerSource, flt: MapFilter, bbox: BBox | None, cap: int, tq: TableQuery = NO_TABLE_QUERY
) -> tuple[int, bool]:
    """How many features match, counting at most ``cap + 1`` rows (so a huge layer stays cheap)."""
    where, params = _where(source, flt, bbox, tq)
    sql = f"SELECT count(*) FROM (SELECT 1 FROM {source.table} t WHERE {where} LIMIT %s) s"  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, [*params, cap + 1])
        n = cur.fetchone()[0]
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
    """A page of features ordered by id (or the table's sort); ``geometry=False`` serves the attribute table."""
    where, params = _where(source, flt, bbox, tq)
    order = _order(tq)
    geom = "ST_AsGeoJSON(ST_Transform(t.geom, 4326), 6)::json" if geometry else "NULL::json"
    sql = f"""
        SELECT coalesce(json_agg(json_build_object(
            'type', 'Feature', 'id', t.id, 'geometry', {geom}, 'properties', {_props_sql(source)}
        ) ORDER BY t.rn), '[]'::json)::text
        FROM (SELECT t.*, row_number() OVER (ORDER BY {order}) AS rn FROM {source.table} t WHERE {where}
              ORDER BY {order} LIMIT %s OFFSET %s) t
    """  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, [*params, limit, offset])
        features = json.loads(cur.fetchone()[0])
    if offset == 0 and len(features) < limit:
        matched, exact = len(features), True  # the whole selection fits in this page: no count query
    else:
        matched, exact = count(source, flt, bbox, count_cap, tq)
    return Page(features, matched, exact, limit, offset)


def csv_copy_sql(
    source: LayerSource, flt: MapFilter, bbox: BBox | None, tq: TableQuery = NO_TABLE_QUERY
) -> tuple[str, list]:
    """COPY … TO STDOUT statement (CSV, no header) of the selected rows, with its bound values."""
    where, params = _where(source, flt, bbox, tq)
    sql = (
        f"COPY (SELECT {source.select_list()} FROM {source.table} t WHERE {where} "  # noqa: S608
        f"ORDER BY {_order(tq)}) TO STDOUT WITH (FORMAT csv)"
    )
    return sql, params


def stream_csv(
    source: LayerSource, flt: MapFilter, bbox: BBox | None, tq: TableQuery = NO_TABLE_QUERY
) -> Iterator[bytes]:
    """The selected rows as CSV bytes, streamed by PostgreSQL's COPY (no row cap, constant memory).

    The first item is yielded only once the COPY has started and produced its first chunk (or ended):
    the caller pulls it before answering, so a failing query is an error, never a 200 with a header only.
    """
    header = ",".join('"' + label.replace('"', '""') + '"' for label in source.labels) + "\r\n"
    sql, params = csv_copy_sql(source, flt, bbox, tq)
    with connection.cursor() as cur, cur.cursor.copy(sql, params) as copy:
        chunks = iter(copy)
        first = next(chunks, b"")
        yield header.encode() + bytes(first)
        yield from (bytes(chunk) for chunk in chunks)


def identify(
    source: LayerSource, flt: MapFilter, lon: float, lat: float, tolerance_m: float, limit: int = 10
) -> list[dict]:
    """Features of one layer within ``tolerance_m`` metres of a WGS84 point, nearest first."""
    where, params = source.where(flt)
    sql = f"""
        WITH p AS (SELECT ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 32632) AS g)
        SELECT coalesce(json_agg(json_build_object('id', t.id, 'properties', {_props_sql(source)})), '[]')::text
        FROM (SELECT t.* FROM {source.table} t, p WHERE ST_DWithin(t.geom, p.g, %s) AND {where}
              ORDER BY t.geom <-> p.g LIMIT %s) t
    """  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, [lon, lat, tolerance_m, *params, limit])
        return json.loads(cur.fetchone()[0])


def extent(source: LayerSource, flt: MapFilter) -> BBox | None:
    """The WGS84 bounding box of the selected features, or None when nothing is selected."""
    where, params = source.where(flt)
    sql = f"SELECT ST_Extent(ST_Transform(t.geom, 4326)) FROM {source.table} t WHERE {where}"  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(sql, params)
        box = cur.fetchone()[0]
    if not box:
        return None
    nums = box.replace("BOX(", "").replace(")", "").replace(",", " ").split()
    return tuple(float(n) for n in nums)

"""Mapbox vector tiles of a layer built by PostGIS (``ST_AsMVT``), filters bound, low zooms generalised.

Below ``MVT_GENERALISE_BELOW`` (z12, where one tile covers thousands of PGT polygons) geometries are
simplified to the tile's pixel size, slivers under a pixel are dropped, and the tile is stored in
``TileCache`` keyed by the layer's ``data_version``: a reload bumps the version, so a cached tile
can never outlive its data.
"""

from __future__ import annotations

import hashlib
import math
import time

from django.db import ProgrammingError, connection, transaction
from django.utils import timezone

from remix import db

from . import conf
from .filters import TRUE, MapFilter
from .layer_source import LayerSource
from .models import TileCache

EXTENT = 4096
BUFFER = 64
_WORLD = 2 * math.pi * 6378137
# (layer, version) whose older tiles this process already deleted: purge once per reload, not per tile.
_PURGED: set[tuple[str, int]] = set()


def generalise_below() -> int:
    return conf.MVT_GENERALISE_BELOW


_EMPTY = db.SQL("")


def mvt_sql(
    z: int,
    relation: db.Composable,
    where: db.Composable = TRUE,
    columns: db.Composable = _EMPTY,
    joins: db.Composable = _EMPTY,
    largest: bool = False,
    key: str = "id",
) -> db.Composable:
    """The ST_AsMVT statement of one tile of ``relation`` (aliased ``t``: ``key`` and ``geom`` in EPSG:32632).

    ``relation`` is a composed identifier (or a parenthesised subquery), ``columns`` (each starting with
    ", ") become the features' attributes, ``joins`` follow ``t`` in the FROM list, ``where`` restricts ``t``;
    the column ``key`` becomes the features' id. Placeholders, in order: z, x, y, the MVT layer name, then
    those of ``columns``, ``relation``, ``joins`` and ``where``. Below ``generalise_below()`` geometries are
    simplified to the pixel size and slivers under a quarter of a pixel dropped. The tile bbox test is on
    ``t.geom`` so that an index on the relation's geometry expression can serve it. ``largest`` keeps
    only the largest features, as many as one more placeholder says (a tile over its size budget).
    """
    geom = db.SQL("ST_Transform(t.geom, 3857)")
    extra = db.SQL("")
    order = _LARGEST.format(geom=db.SQL("t.geom")) if largest else db.SQL("")
    if z < generalise_below():
        pixel = _WORLD / (2**z) / 256  # metres per screen pixel at this zoom (3857 units)
        geom = db.SQL("ST_SimplifyPreserveTopology({geom}, {tolerance})").format(
            geom=geom, tolerance=db.literal(round(pixel / 2, 3))
        )
        # Slivers under a quarter of a pixel are invisible at this zoom: skip them (points/lines kept).
        extra = db.SQL(" AND (ST_Dimension(t.geom) < 2 OR ST_Area(t.geom) >= {area})").format(
            area=db.literal(round(pixel * pixel / 4, 1))
        )
    return _MVT.format(
        key=db.ident(key),
        columns=columns,
        geom=geom,
        relation=relation,
        joins=joins,
        where=where,
        extra=extra,
        order=order,
        **_TILE_GRID,
    )


_MVT = db.SQL(
    """
        WITH b AS (SELECT ST_TileEnvelope(%s, %s, %s) AS env)
        SELECT ST_AsMVT(q, %s, {extent}, 'geom', 'id') FROM (
            SELECT t.{key} AS id{columns}, ST_AsMVTGeom({geom}, b.env, {extent}, {buffer}, true) AS geom
            FROM {relation} t{joins}, b
            WHERE t.geom && ST_Transform(b.env, 32632) AND {where}{extra}{order}
        ) q WHERE q.geom IS NOT NULL
    """
)
_TILE_GRID = {"extent": db.literal(EXTENT), "buffer": db.literal(BUFFER)}
_LARGEST = db.SQL(" ORDER BY ST_Area({geom}) DESC LIMIT %s")


def tile_sql(
    source: LayerSource, flt: MapFilter, z: int, x: int, y: int, largest: int | None = None
) -> tuple[db.Composable, list]:
    """The ST_AsMVT statement of one tile of a map layer and its bound values (also run bare by the benchmark)."""
    where, params = source.where(flt)
    attrs = source.select_list()
    columns = db.SQL(", {}").format(attrs) if source.attributes else _EMPTY
    query = mvt_sql(z, source.table, where, columns, largest=largest is not None, key=source.key)
    return query, [z, x, y, source.slug, *params, *([largest] if largest is not None else [])]


def overview_sql(
    source: LayerSource, flt: MapFilter, z: int, x: int, y: int, table: str, largest: int | None = None
) -> tuple[db.Composable, list]:
    """The ST_AsMVT statement of one tile read from an overview ``table`` of the layer (EPSG:3857).

    Features carry their class (the ``props`` JSON: the style's field) and how many source features
    they stand for (``features``); the territory filter applies to the overview's comune column.
    """
    where, params = source.where(flt, alias="o")
    query = _OVERVIEW.format(
        table=db.ident(table),
        where=where,
        order=_LARGEST.format(geom=db.SQL("o.geom")) if largest is not None else db.SQL(""),
        **_TILE_GRID,
    )
    return query, [z, x, y, source.slug, *params, *([largest] if largest is not None else [])]


_OVERVIEW = db.SQL(
    """
        WITH b AS (SELECT ST_TileEnvelope(%s, %s, %s) AS env)
        SELECT ST_AsMVT(q, %s, {extent}, 'geom') FROM (
            SELECT o.features, o.props, ST_AsMVTGeom(o.geom, b.env, {extent}, {buffer}, true) AS geom
            FROM {table} o, b
            WHERE o.geom && b.env AND {where}{order}
        ) q WHERE q.geom IS NOT NULL
    """
)


def band_for_zoom(z: int) -> int | None:
    from .overviews import band_for

    return band_for(z)


def uses_overview(source: LayerSource, z: int) -> str | None:
    """The overview table a tile at zoom ``z`` of this layer reads, if one is built for its data version.

    Interventions are filtered on their own attributes, which an overview does not keep: never.
    """
    from .overviews import band_for, current

    band = band_for(z)
    if band is None or source.is_realizzazioni:
        return None
    key = (source.slug, source.data_version, band)
    known = _OVERVIEWS.get(key)
    if known is None or (known[0] is None and time.monotonic() - known[1] > _NO_OVERVIEW_RECHECK_S):
        if len(_OVERVIEWS) > 1000:
            _OVERVIEWS.clear()
        known = _OVERVIEWS[key] = (current(source.slug, source.data_version, band), time.monotonic())
    return known[0]


# (layer, data version, band) → (its overview table or None, when looked up). A table only changes
# with a new version; "none" is looked up again after a while (`layers sync` may build one for the
# current version).
_OVERVIEWS: dict[tuple[str, int, int], tuple[str | None, float]] = {}
_NO_OVERVIEW_RECHECK_S = 60


def run(query: db.Composable | str, params: list) -> bytes:
    """Execute an ST_AsMVT statement; an empty tile is b""."""
    return bytes(db.fetch_value(query, params) or b"")


def max_bytes() -> int:
    return conf.MVT_MAX_TILE_BYTES


def render(source: LayerSource, flt: MapFilter, z: int, x: int, y: int) -> bytes:
    """One tile from the overview of its zoom band when there is one, else from the layer's relation.

    A tile larger than ``MVT_MAX_TILE_BYTES`` is made again from its largest features only, fewer each
    time until it fits (each keeps its class): a lighter picture, never a tile that stalls the map.
    """
    table = uses_overview(source, z)

    def statement(largest=None):
        if table:
            return overview_sql(source, flt, z, x, y, table, largest)
        return tile_sql(source, flt, z, x, y, largest)

    if table is None:
        data = run(*statement())
    else:
        try:
            with transaction.atomic():  # a savepoint: a failed read must not spoil the request's transaction
                data = run(*statement())
        except ProgrammingError:  # an overview replaced or dropped while this request ran: the data itself
            _OVERVIEWS.pop((source.slug, source.data_version, band_for_zoom(z)), None)
            table = None
            data = run(*statement())
    budget = max_bytes()
    keep = 1 << 16
    while len(data) > budget and keep > 1:
        keep = max(1, keep // 2)
        data = run(*statement(keep))
    return data if len(data) <= budget else b""  # not even the largest feature alone fits


def _filter_key(source: LayerSource, flt: MapFilter) -> str:
    """The part of a filter that changes this layer's SQL (its WHERE fragment and values), hashed.

    A layer that is not filtered by a value (a PGT layer and an intervention filter, any layer and no
    filter) shares one cache entry however many other filters the URL carries.
    """
    where, params = source.where(flt)
    if where == TRUE and not params:
        return ""
    text = db.render(where) + "\x1f" + "\x1f".join(map(str, params))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


def cache_limits() -> tuple[int, int]:
    """(tiles, bytes) the tile cache may hold before its least recently used tiles are evicted."""
    return (
        conf.MVT_CACHE_MAX_TILES,
        conf.MVT_CACHE_MAX_BYTES,
    )


# Tiles written by this process since its last eviction pass; a pass every EVICT_EVERY writes.
_WRITES = {"n": 0}
EVICT_EVERY = 50
# A hit refreshes the tile's last use at most this often (seconds): recency, not a write per hit.
_TOUCH_AFTER_S = 60


def evict() -> int:
    """Delete the least recently used tiles beyond the cache's bounds; how many were deleted."""
    max_tiles, max_size = cache_limits()
    with connection.cursor() as cur:
        db.execute(
            cur,
            """
            DELETE FROM mappature_tilecache WHERE id IN (
                SELECT id FROM (
                    SELECT id, row_number() OVER w AS n, sum(size) OVER w AS total
                    FROM mappature_tilecache WINDOW w AS (ORDER BY used_at DESC, id DESC)) s
                WHERE n > %s OR total > %s)
        """,
            [max_tiles, max_size],
        )
        return cur.rowcount


def tile(source: LayerSource, flt: MapFilter, z: int, x: int, y: int) -> bytes:
    """One tile: rendered directly at high zooms, through the version-keyed, size-bounded cache below."""
    if z >= generalise_below() and uses_overview(source, z) is None:
        return render(source, flt, z, x, y)
    key = _filter_key(source, flt)
    hit = (
        TileCache.objects.filter(layer=source.slug, data_version=source.data_version, z=z, x=x, y=y, filter_key=key)
        .values_list("id", "tile", "used_at")
        .first()
    )
    if hit is not None:
        now = timezone.now()
        if (now - hit[2]).total_seconds() > _TOUCH_AFTER_S:
            TileCache.objects.filter(pk=hit[0]).update(used_at=now)
        return bytes(hit[1])
    data = render(source, flt, z, x, y)
    with transaction.atomic():
        if (source.slug, source.data_version) not in _PURGED:
            TileCache.objects.filter(layer=source.slug, data_version__lt=source.data_version).delete()
            _PURGED.add((source.slug, source.data_version))
        TileCache.objects.bulk_create(
            [
                TileCache(
                    layer=source.slug,
                    data_version=source.data_version,
                    z=z,
                    x=x,
                    y=y,
                    filter_key=key,
                    tile=data,
                    size=len(data),
                )
            ],
            ignore_conflicts=True,
        )
    _WRITES["n"] += 1
    if _WRITES["n"] % EVICT_EVERY == 1 or EVICT_EVERY == 1:
        evict()
    return data


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= 22 and 0 <= x < 2**z and 0 <= y < 2**z

"""Mapbox vector tiles of a layer built by PostGIS (``ST_AsMVT``), filters bound, low zooms generalised.

Below ``MVT_GENERALISE_BELOW`` (z12, where one tile covers thousands of PGT polygons) geometries are
simplified to the tile's pixel size, slivers under a pixel are dropped, and the tile is stored in
``TileCache`` keyed by the layer's ``data_version``: a reload bumps the version, so a cached tile
can never outlive its data.
"""

from __future__ import annotations

import hashlib
import math

from django.conf import settings
from django.db import connection, transaction

from .filters import MapFilter
from .models import TileCache
from .sources import LayerSource

EXTENT = 4096
BUFFER = 64
_WORLD = 2 * math.pi * 6378137
# (layer, version) whose older tiles this process already deleted: purge once per reload, not per tile.
_PURGED: set[tuple[str, int]] = set()


def generalise_below() -> int:
    return settings.REMIX.get("MVT_GENERALISE_BELOW", 12)


def mvt_sql(z: int, relation: str, where: str = "TRUE", columns: str = "", joins: str = "") -> str:
    """The ST_AsMVT statement of one tile of ``relation`` (aliased ``t``: ``id`` and ``geom`` in EPSG:32632).

    ``columns`` (SQL, each starting with ", ") become the features' attributes, ``joins`` follow ``t``
    in the FROM list, ``where`` restricts ``t``. Placeholders, in order: z, x, y, the MVT layer name, then
    those of ``columns``, ``relation``, ``joins`` and ``where``. Below ``generalise_below()`` geometries are
    simplified to the pixel size and slivers under a quarter of a pixel dropped. The tile bbox test is on
    ``t.geom`` so that an index on the relation's geometry expression can serve it.
    """
    geom = "ST_Transform(t.geom, 3857)"
    extra = ""
    if z < generalise_below():
        pixel = _WORLD / (2 ** z) / 256  # metres per screen pixel at this zoom (3857 units)
        geom = f"ST_SimplifyPreserveTopology({geom}, {pixel / 2:.3f})"
        # Slivers under a quarter of a pixel are invisible at this zoom: skip them (points/lines kept).
        extra = f" AND (ST_Dimension(t.geom) < 2 OR ST_Area(t.geom) >= {pixel * pixel / 4:.1f})"
    return f"""
        WITH b AS (SELECT ST_TileEnvelope(%s, %s, %s) AS env)
        SELECT ST_AsMVT(q, %s, {EXTENT}, 'geom', 'id') FROM (
            SELECT t.id{columns}, ST_AsMVTGeom({geom}, b.env, {EXTENT}, {BUFFER}, true) AS geom
            FROM {relation} t{joins}, b
            WHERE t.geom && ST_Transform(b.env, 32632) AND {where}{extra}
        ) q WHERE q.geom IS NOT NULL
    """  # noqa: S608 - SQL fragments from the callers, numbers computed here, values bound


def tile_sql(source: LayerSource, flt: MapFilter, z: int, x: int, y: int) -> tuple[str, list]:
    """The ST_AsMVT statement of one tile of a map layer and its bound values (also run bare by the benchmark)."""
    where, params = source.where(flt)
    attrs = source.select_list()
    return mvt_sql(z, source.table, where, f", {attrs}" if attrs else ""), [z, x, y, source.slug, *params]


def run(sql: str, params: list) -> bytes:
    """Execute an ST_AsMVT statement; an empty tile is b""."""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return bytes(cur.fetchone()[0] or b"")


def render(source: LayerSource, flt: MapFilter, z: int, x: int, y: int) -> bytes:
    return run(*tile_sql(source, flt, z, x, y))


def tile(source: LayerSource, flt: MapFilter, z: int, x: int, y: int) -> bytes:
    """One tile: rendered directly at z ≥ 12, through the version-keyed cache below."""
    if z >= generalise_below():
        return render(source, flt, z, x, y)
    key = hashlib.sha1(flt.cache_key().encode(), usedforsecurity=False).hexdigest()
    cached = TileCache.objects.filter(layer=source.slug, data_version=source.data_version,
                                      z=z, x=x, y=y, filter_key=key).values_list("tile", flat=True).first()
    if cached is not None:
        return bytes(cached)
    data = render(source, flt, z, x, y)
    with transaction.atomic():
        if (source.slug, source.data_version) not in _PURGED:
            TileCache.objects.filter(layer=source.slug, data_version__lt=source.data_version).delete()
            _PURGED.add((source.slug, source.data_version))
        TileCache.objects.bulk_create(
            [TileCache(layer=source.slug, data_version=source.data_version, z=z, x=x, y=y, filter_key=key, tile=data)],
            ignore_conflicts=True,
        )
    return data


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= 22 and 0 <= x < 2 ** z and 0 <= y < 2 ** z

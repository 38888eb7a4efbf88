"""Web-mercator tile arithmetic for the tile tests (tiles themselves are decoded with mapbox-vector-tile)."""

from __future__ import annotations

import math

import mapbox_vector_tile


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The (x, y) of the web-mercator tile holding a point at zoom ``z``."""
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


def features(tile: bytes, layer: str) -> list[dict]:
    """The features of one layer of an MVT tile, decoded by mapbox-vector-tile ([] when the layer is absent)."""
    return mapbox_vector_tile.decode(tile).get(layer, {}).get("features", [])

"""Settings of mappature (the dynamic maps and their API), each stated once with its default.

The project's values are in ``settings.REMIX`` (remix/settings.py); read them as ``conf.NAME``
(see remix/conf.py)."""

from remix.conf import reader

DEFAULTS = {
    # Largest API page: big enough for a table screen, small enough to answer fast.
    "API_MAX_PAGE": 1000,
    # Feature counts stop here ("more than N").
    "API_COUNT_CAP": 10000,
    # Below this zoom vector tiles are generalised and cached by data version.
    "MVT_GENERALISE_BELOW": 12,
    # Polygon layers with at least this many features get generalised overviews (mappature/overviews.py).
    "MVT_OVERVIEW_MIN_FEATURES": 20000,
    # No vector tile is larger: above it, it is made again from its largest features only.
    "MVT_MAX_TILE_BYTES": 512 * 1024,
    # The tile cache keeps at most this many tiles / bytes, evicting the least recently used.
    "MVT_CACHE_MAX_TILES": 50000,
    "MVT_CACHE_MAX_BYTES": 512 * 1024 * 1024,
    # Basemaps offered on the planners' map ({id, name, type: xyz|wms, url, attribution, max_zoom, layers}).
    "BASEMAPS": [],
    # Basemap shown first ("none": no basemap, the map works offline).
    "DEFAULT_BASEMAP": "none",
    # Layers switched on when the map opens without a permalink.
    "MAP_DEFAULT_LAYERS": [],
}

__getattr__ = reader(__name__, DEFAULTS)

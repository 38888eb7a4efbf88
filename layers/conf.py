"""Settings of layers (registry, catalogue, OGC services, exports), each stated once with its default.

The project's values are in ``settings.REMIX`` (remix/settings.py); read them as ``conf.NAME``
(see remix/conf.py)."""

from pathlib import Path

from django.conf import settings

from remix.conf import reader

DEFAULTS = {
    # Generated mapfiles of the OGC services (never served; they carry no password).
    "OGC_DIR": lambda: Path(settings.BASE_DIR) / "var" / "ogc",
    # Seconds a worker trusts its last look at the registry when no change was signalled.
    "OGC_REGISTRY_TTL": 2.0,
    # Loaded MapServer maps kept per worker (one per visibility set and language).
    "OGC_MAP_CACHE": 32,
    # Debian's python3-mapscript, imported alone (the venv does not see the system site-packages).
    "MAPSCRIPT_DIR": "/usr/lib/python3/dist-packages/mapscript",
    # Service metadata of WMS/WFS capabilities and OGC API (title, contact, fees, max_features...).
    "OGC_SERVICE": {},
    # GeoPackage exports: explicit limits (over the maximum an export is refused).
    "EXPORT_MAX_FEATURES": 3_000_000,
    # Larger exports run in the background worker with progress instead of inside the request.
    "EXPORT_SYNC_MAX_FEATURES": 50_000,
    "EXPORT_MAX_LAYERS": 30,
    # Hours a finished GeoPackage stays downloadable.
    "EXPORT_KEEP_HOURS": 48,
    # Areas an export can be cut to: tables known by name (layers imports no domain app).
    "EXPORT_AREAS": {
        "comune": {"table": "mappature_comune", "key": "istat_code", "label": "name"},
        "zona": {"table": "mappature_zonaomogenea", "key": "code", "label": "name"},
    },
    # Features in a catalogue preview.
    "PREVIEW_MAX_FEATURES": 500,
    # Dotted path of the places the catalogue filters by (a callable; "" or None: no place filter).
    "CATALOGUE_PLACES": None,
    # Providers of service/download links on a layer page: dotted paths of callables (layer, request) -> links.
    "LAYER_LINKS": [],
    # Called with the layers whose data version a load bumped, inside the load's transaction.
    "LAYER_DATA_CHANGED": [],
    # Dotted path of the dataset versions the ETL recorded (fills a new layer's lineage; None: none).
    "DATASET_LINEAGE": None,
    # This machine's copies of the published rasters (from the storage), per layer and data version.
    "RASTER_CACHE_DIR": lambda: Path(settings.BASE_DIR) / "var" / "cache" / "rasters",
    # iPA code prefixing RNDT identifiers.
    "IPA_CODE": "cmmi",
}

__getattr__ = reader(__name__, DEFAULTS)

# Default and largest page of a WFS GetFeature and of OGC API items, unless OGC_SERVICE says otherwise.
OGC_MAX_FEATURES = 10000


def ogc_max_features() -> int:
    return int(__getattr__("OGC_SERVICE").get("max_features", OGC_MAX_FEATURES))

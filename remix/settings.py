"""Django settings for Remix; every deployment-specific value comes from the environment."""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.lower() in {"1", "true", "yes", "on"}


def _database_from_url(url: str) -> dict:
    """Turn postgresql://user:pass@host:port/name into Django's DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "postgis"}:
        raise ValueError(f"DATABASE_URL must be a PostgreSQL URL, not {parts.scheme!r}")
    return {
        "ENGINE": "django.contrib.gis.db.backends.postgis",
        "NAME": unquote(parts.path.lstrip("/")),
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        # Parallel developers and CI jobs can keep their test databases apart.
        "TEST": {"NAME": os.environ.get("REMIX_TEST_DB_NAME")},
    }


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "remix-development-only-secret-key-change-me")
DEBUG = _env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = os.environ.get("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("DJANGO_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "leaflet",
    "layers",
    "mappature",
    "etl",
    "consegne",
    "incontri",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "remix.urls"
WSGI_APPLICATION = "remix.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ],
        },
    },
]

DATABASES = {
    "default": _database_from_url(
        os.environ.get("DATABASE_URL", "postgresql://remix@127.0.0.1:54329/remix")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italiano")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = Path(os.environ.get("REMIX_MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
LOGIN_URL = "consegne:login"
LOGIN_REDIRECT_URL = "consegne:list"
SESSION_COOKIE_HTTPONLY = True
# An upload is streamed to a temporary file, never held whole in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# Leaflet assets are served by django-leaflet itself: the map works with no network.
# Basemaps are chosen in the page (mappature), so none is forced here.
LEAFLET_CONFIG = {
    "TILES": [],
    "DEFAULT_CENTER": (45.46, 9.19),
    "DEFAULT_ZOOM": 10,
    "MIN_ZOOM": 8,
    "MAX_ZOOM": 19,
    "RESET_VIEW": False,
    "ATTRIBUTION_PREFIX": "Remix · Città metropolitana di Milano",
}

# Remix knobs: each listed once with its default and why.
REMIX = {
    # Where ETL sources with relative paths are read from (the bundled datasets).
    "DATA_DIR": Path(os.environ.get("REMIX_DATA_DIR", BASE_DIR / "data")),
    # Storage CRS: Regione Lombardia publishes its PGT mosaic in WGS84 / UTM 32N.
    "STORAGE_SRID": 32632,
    # Scratch space for ETL downloads and exports.
    "WORK_DIR": Path(os.environ.get("REMIX_WORK_DIR", BASE_DIR / "var" / "work")),
    # Generated mapfiles of the OGC services (never served; they carry no password).
    "OGC_DIR": Path(os.environ.get("REMIX_OGC_DIR", BASE_DIR / "var" / "ogc")),
    # Seconds a worker trusts its last look at the registry when no change was signalled (safety net).
    "OGC_REGISTRY_TTL": float(os.environ.get("REMIX_OGC_REGISTRY_TTL", "2")),
    # Loaded MapServer maps kept per worker (one per visibility set and language).
    "OGC_MAP_CACHE": 32,
    # Debian's python3-mapscript, imported alone (the venv does not see the system site-packages).
    "MAPSCRIPT_DIR": "/usr/lib/python3/dist-packages/mapscript",
    # Service metadata of WMS/WFS capabilities (contact shown to GIS users).
    "OGC_SERVICE": {
        "title": "Remix – Città metropolitana di Milano",
        "organization": "Città metropolitana di Milano",
        "email": os.environ.get("REMIX_OGC_CONTACT_EMAIL", ""),
        "access_constraints": "CC-BY 4.0",
    },
    # GeoPackage exports: where files go, and explicit limits (over the maximum an export is refused).
    "EXPORT_DIR": Path(os.environ.get("REMIX_EXPORT_DIR", BASE_DIR / "var" / "exports")),
    "EXPORT_MAX_FEATURES": int(os.environ.get("REMIX_EXPORT_MAX_FEATURES", "3000000")),
    # Larger exports run in a background process with progress instead of inside the request.
    "EXPORT_SYNC_MAX_FEATURES": int(os.environ.get("REMIX_EXPORT_SYNC_MAX_FEATURES", "50000")),
    "EXPORT_MAX_LAYERS": 30,
    # Hours a finished GeoPackage stays downloadable before its file is deleted.
    "EXPORT_KEEP_HOURS": int(os.environ.get("REMIX_EXPORT_KEEP_HOURS", "48")),
    # Areas an export can be cut to: tables known by name (layers imports no domain app).
    "EXPORT_AREAS": {
        "comune": {"table": "mappature_comune", "key": "istat_code", "label": "name"},
        "zona": {"table": "mappature_zonaomogenea", "key": "code", "label": "name"},
    },
    # PGT deliveries: uploads above this size are refused before they are stored (MB).
    "CONSEGNE_MAX_UPLOAD_MB": int(os.environ.get("REMIX_CONSEGNE_MAX_UPLOAD_MB", 200)),
    # Unpacked size and compression ratio above which a zip is treated as a zip bomb.
    "CONSEGNE_MAX_UNPACKED_MB": int(os.environ.get("REMIX_CONSEGNE_MAX_UNPACKED_MB", 1500)),
    "CONSEGNE_MAX_RATIO": 200,
    # Where uploaded deliveries are kept (they are the evidence of what a comune sent).
    "CONSEGNE_DIR": Path(os.environ.get("REMIX_CONSEGNE_DIR", BASE_DIR / "var" / "consegne")),
    # Days the file of a delivery that ended without becoming a version (non valida, errore interno,
    # rinviata) is kept before `manage.py consegne purge` deletes it; published deliveries keep theirs.
    "CONSEGNE_RETENTION_DAYS": int(os.environ.get("REMIX_CONSEGNE_RETENTION_DAYS", 90)),
    # Overflow beyond the comune boundary tolerated before it is an error (metres, regional "sbordi").
    "CONSEGNE_BOUNDARY_TOLERANCE_M": 2.0,
    # Run validations in a thread of the web process after each upload (no extra server needed);
    # set to false when `manage.py consegne worker` runs as its own service.
    "CONSEGNE_INLINE_WORKER": _env_bool("REMIX_CONSEGNE_INLINE_WORKER", True),
    # Failed logins per username in LOGIN_WINDOW_MIN minutes before further attempts are refused.
    "LOGIN_MAX_FAILURES": 5,
    "LOGIN_WINDOW_MIN": 15,
    # A copy of the file each ETL version was loaded from, so any version can be restored.
    "ETL_ARCHIVE_DIR": Path(os.environ.get("REMIX_ETL_ARCHIVE_DIR", BASE_DIR / "var" / "etl" / "archive")),
    # Generated synthetic datasets (PGT GeoPackage, PTM layers), cached by seed and scale.
    "SYNTHETIC_DIR": Path(os.environ.get("REMIX_SYNTHETIC_DIR", BASE_DIR / "var" / "synthetic")),
    # Where rasters are published (the ETL writes them, MapServer reads them).
    "RASTER_DIR": Path(os.environ.get("REMIX_RASTER_DIR", BASE_DIR / "var" / "rasters")),
    # Largest API page: big enough for a table screen, small enough to answer fast.
    "API_MAX_PAGE": 1000,
    # Feature counts stop here ("more than N"): counting 300k PGT rows on every page is wasted work.
    "API_COUNT_CAP": 10000,
    # Below this zoom vector tiles are generalised and cached by data version (ST_AsMVT ~4 µs/feature).
    "MVT_GENERALISE_BELOW": 12,
    # Basemaps offered on the planners' map; with no network the map falls back to "no basemap".
    "BASEMAPS": [
        {"id": "osm", "name": "OpenStreetMap", "type": "xyz",
         "url": os.environ.get("REMIX_BASEMAP_OSM", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
         "attribution": "© OpenStreetMap contributors", "max_zoom": 19},
        {"id": "ortofoto", "name": "Ortofoto Regione Lombardia", "type": "wms",
         "url": os.environ.get("REMIX_BASEMAP_ORTOFOTO",
                               "https://www.cartografia.servizirl.it/arcgis2/services/BaseMap/Ortofoto2021/ImageServer/WMSServer"),
         "layers": "0", "attribution": "© Regione Lombardia", "max_zoom": 20},
        {"id": "ctr", "name": "CTR Regione Lombardia", "type": "wms",
         "url": os.environ.get("REMIX_BASEMAP_CTR",
                               "https://www.cartografia.servizirl.it/arcgis2/services/BaseMap/CTR10000/MapServer/WMSServer"),
         "layers": "0", "attribution": "© Regione Lombardia", "max_zoom": 18},
    ],
    # Layers switched on when the map opens without a permalink: projects and opportunities meet.
    "MAP_DEFAULT_LAYERS": ["realizzazioni", "pgt_ambiti_trasformazione", "pgt_ambiti_rigenerazione",
                           "pgt_aree_dismesse", "remix_incubatore", "stazioni"],
    # Basemap shown first ("none" keeps the map usable offline from the first paint).
    "DEFAULT_BASEMAP": os.environ.get("REMIX_DEFAULT_BASEMAP", "osm"),
    # iPA code prefixing RNDT identifiers; CMM's own code is unverified (domain-model.md §4.1).
    "IPA_CODE": os.environ.get("REMIX_IPA_CODE", "cmmi"),
    # Features in a catalogue preview map: enough to show the data, bounded so a page stays light.
    "PREVIEW_MAX_FEATURES": 500,
    # Places the catalogue filters by (layers may not import mappature; remix wires them in).
    "CATALOGUE_PLACES": "remix.places.comuni",
    # Providers of service/download links on a layer page: callables (layer, request) -> list of links.
    "LAYER_LINKS": ["layers.ogc.links.layer_links"],
    # Dataset versions recorded by the ETL, read by `layers sync` to fill a new layer's lineage.
    "DATASET_LINEAGE": "remix.lineage.versions",
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("REMIX_LOG_LEVEL", "WARNING")},
}

# Debian's GDAL 3.6 cannot sandbox spatial-reference parsing; Remix never hands untrusted SRS text
# to Django's GDAL bindings (uploaded files are read through pyogrio's own, newer GDAL).
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

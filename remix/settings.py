"""Django settings for Remix; every deployment-specific value comes from the environment."""

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured
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
        # A database that does not answer makes a request fail (503) in seconds, not hang.
        "OPTIONS": {"connect_timeout": 5},
        # Parallel developers and CI jobs can keep their test databases apart.
        "TEST": {"NAME": os.environ.get("REMIX_TEST_DB_NAME")},
    }


DEBUG = _env_bool("DJANGO_DEBUG", False)
# "production": behind a TLS-terminating proxy (secure cookies, HSTS, HTTPS redirect; see the end).
REMIX_ENV = os.environ.get("REMIX_ENV", "development")
# Files Remix writes (deliveries, exports, logs, keys) are never readable by other users.
os.umask(int(os.environ.get("REMIX_UMASK", "027"), 8))
# The project's own cluster: libpq reads the generated passwords from this 0600 file (scripts/pg.sh).
if "PGPASSFILE" not in os.environ and (BASE_DIR / "var" / "secrets" / "pgpass").is_file():
    os.environ["PGPASSFILE"] = str(BASE_DIR / "var" / "secrets" / "pgpass")


def _secret_key() -> str:
    """DJANGO_SECRET_KEY, else the file DJANGO_SECRET_KEY_FILE (default: the one `make` generates)."""
    if os.environ.get("DJANGO_SECRET_KEY"):
        return os.environ["DJANGO_SECRET_KEY"]
    path = Path(os.environ.get("DJANGO_SECRET_KEY_FILE", BASE_DIR / "var" / "secrets" / "django-secret-key"))
    if path.is_file() and path.read_text().strip():
        return path.read_text().strip()
    if DEBUG:
        return "remix-debug-only-insecure-secret-key"
    raise ImproperlyConfigured(
        "Remix refuses to start without a secret key: set DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE, a "
        "file holding it), or run `make run`, which generates one into var/secrets/django-secret-key."
    )


SECRET_KEY = _secret_key()
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
    "procrastinate.contrib.django",
    "background",
    "layers",
    "mappature",
    "etl",
    "consegne",
    "remix",
    "axes",
    "csp",
    "indicatori",
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
    # "Authorization: Token <key>" on /api/: that user, no CSRF check (no cookie is involved).
    "remix.middleware.ApiTokenMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "remix.middleware.DatabaseUnavailableMiddleware",
    "remix.middleware.RateLimitMiddleware",
    # Last, as django-axes asks: it turns a lockout into the answer of the login path that was used.
    "axes.middleware.AxesMiddleware",
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

DATABASES = {"default": _database_from_url(os.environ.get("DATABASE_URL", "postgresql://remix@127.0.0.1:54329/remix"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
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

# Remix knobs: the project's values, and why. Each app states its own once, with the default used when a
# key is absent, in <app>/conf.py (remix/conf.py explains how code reads them: `conf.NAME`).
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
    # Service metadata of WMS/WFS capabilities and OGC API (contact shown to GIS users; `<key>_en` for
    # English where it differs). Person, phone and e-mail are the owner's to set: none is invented.
    "OGC_SERVICE": {
        "title": "Remix – Città metropolitana di Milano",
        "title_en": "Remix – Metropolitan City of Milan",
        "abstract": "Strati pubblicati dal portale Remix della rigenerazione urbana (PGT, PTM, realizzazioni).",
        "abstract_en": "Layers published by Remix, the urban regeneration portal (PGT, PTM, interventions).",
        "keywords": ["rigenerazione urbana", "PGT", "PTM", "Città metropolitana di Milano"],
        "organization": "Città metropolitana di Milano",
        "person": os.environ.get("REMIX_OGC_CONTACT_PERSON", ""),
        "position": os.environ.get("REMIX_OGC_CONTACT_POSITION", ""),
        "email": os.environ.get("REMIX_OGC_CONTACT_EMAIL", ""),
        "phone": os.environ.get("REMIX_OGC_CONTACT_PHONE", ""),
        "address": "Via Vivaio 1",
        "city": "Milano",
        "province": "MI",
        "postcode": "20122",
        "country": "Italia",
        "country_en": "Italy",
        "website": "https://www.cittametropolitana.mi.it/",
        "fees": "nessuno",
        "fees_en": "none",
        "access_constraints": "CC-BY 4.0 salvo diversa indicazione nel singolo strato",
        "access_constraints_en": "CC-BY 4.0 unless a layer states otherwise",
        # ISO 19139 record of the service for INSPIRE extended capabilities (empty: the catalogue's page)
        "metadata_url": os.environ.get("REMIX_OGC_METADATA_URL", ""),
        # Default and largest page of a WFS GetFeature and of OGC API items (clients page beyond it).
        "max_features": 10000,
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
    # Time limit of one validation (seconds): past it the delivery is refused with a "timeout" finding.
    "CONSEGNE_VALIDATION_TIMEOUT_S": int(os.environ.get("REMIX_CONSEGNE_VALIDATION_TIMEOUT_S", 900)),
    # A copy of the file each ETL version was loaded from, so any version can be restored.
    "ETL_ARCHIVE_DIR": Path(os.environ.get("REMIX_ETL_ARCHIVE_DIR", BASE_DIR / "var" / "etl" / "archive")),
    # Generated synthetic datasets (PGT GeoPackage, PTM layers), cached by seed and scale.
    "SYNTHETIC_DIR": Path(os.environ.get("REMIX_SYNTHETIC_DIR", BASE_DIR / "var" / "synthetic")),
    # Where rasters are published (the ETL writes them, MapServer reads them): the folder of the
    # ``rasters`` storage (remix/storage.py) unless REMIX_STORAGE=s3.
    "RASTER_DIR": Path(os.environ.get("REMIX_RASTER_DIR", BASE_DIR / "var" / "rasters")),
    # This machine's copies of rasters kept in an object store, one per name and data version.
    "RASTER_CACHE_DIR": Path(os.environ.get("REMIX_RASTER_CACHE_DIR", BASE_DIR / "var" / "cache" / "rasters")),
    # Largest API page: big enough for a table screen, small enough to answer fast.
    "API_MAX_PAGE": 1000,
    # Feature counts stop here ("more than N"): counting 300k PGT rows on every page is wasted work.
    "API_COUNT_CAP": 10000,
    # Below this zoom vector tiles are generalised and cached by data version (ST_AsMVT ~4 µs/feature).
    "MVT_GENERALISE_BELOW": 12,
    # Polygon layers with at least this many features get generalised overviews for zooms ≤ 12
    # (mappature/overviews.py), rebuilt with each load; a tile is never larger than MVT_MAX_TILE_BYTES.
    "MVT_OVERVIEW_MIN_FEATURES": int(os.environ.get("REMIX_MVT_OVERVIEW_MIN_FEATURES", 20000)),
    "MVT_MAX_TILE_BYTES": 512 * 1024,
    # The tile cache keeps at most this many tiles / bytes, evicting the least recently used.
    "MVT_CACHE_MAX_TILES": int(os.environ.get("REMIX_MVT_CACHE_MAX_TILES", 50000)),
    "MVT_CACHE_MAX_BYTES": int(os.environ.get("REMIX_MVT_CACHE_MAX_MB", 512)) * 1024 * 1024,
    # Called with the layers whose data version a load bumped, inside the load's transaction.
    "LAYER_DATA_CHANGED": ["mappature.overviews.layers_changed"],
    # Basemaps offered on the planners' map; with no network the map falls back to "no basemap".
    "BASEMAPS": [
        {
            "id": "osm",
            "name": "OpenStreetMap",
            "type": "xyz",
            "url": os.environ.get("REMIX_BASEMAP_OSM", "https://tile.openstreetmap.org/{z}/{x}/{y}.png"),
            "attribution": "© OpenStreetMap contributors",
            "max_zoom": 19,
        },
        {
            "id": "ortofoto",
            "name": "Ortofoto Regione Lombardia",
            "type": "wms",
            "url": os.environ.get(
                "REMIX_BASEMAP_ORTOFOTO",
                "https://www.cartografia.servizirl.it/arcgis2/services/BaseMap/Ortofoto2021/ImageServer/WMSServer",
            ),
            "layers": "0",
            "attribution": "© Regione Lombardia",
            "max_zoom": 20,
        },
        {
            "id": "ctr",
            "name": "CTR Regione Lombardia",
            "type": "wms",
            "url": os.environ.get(
                "REMIX_BASEMAP_CTR",
                "https://www.cartografia.servizirl.it/arcgis2/services/BaseMap/CTR10000/MapServer/WMSServer",
            ),
            "layers": "0",
            "attribution": "© Regione Lombardia",
            "max_zoom": 18,
        },
    ],
    # Layers switched on when the map opens without a permalink: projects and opportunities meet.
    "MAP_DEFAULT_LAYERS": [
        "realizzazioni",
        "pgt_ambiti_trasformazione",
        "pgt_ambiti_rigenerazione",
        "pgt_aree_dismesse",
        "remix_incubatore",
        "stazioni",
    ],
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
    # Background jobs (procrastinate, see background/runtime.py and `manage.py worker`).
    "JOBS": {
        # Jobs run at once per queue by the worker process (2 cores: one of each heavy kind).
        "concurrency": {"validations": 1, "loads": 1, "exports": 2, "maintenance": 1},
        # Worker heartbeat; a worker silent for stalled_after_s is dead and its jobs are recovered,
        # which recover_every_s (a periodic job) checks: a stalled job ends within about their sum.
        "heartbeat_s": float(os.environ.get("REMIX_JOBS_HEARTBEAT_S", "10")),
        "stalled_after_s": float(os.environ.get("REMIX_JOBS_STALLED_AFTER_S", "60")),
        "recover_every_s": int(os.environ.get("REMIX_JOBS_RECOVER_EVERY_S", "30")),
        # Times a job whose worker died is started again before it is failed with a reason.
        "crash_retries": int(os.environ.get("REMIX_JOBS_CRASH_RETRIES", "1")),
        # Retries after a transient failure (database restarting), waiting wait_s**n s (3, 9, 27, 81).
        "transient_retries": int(os.environ.get("REMIX_JOBS_TRANSIENT_RETRIES", "4")),
        "transient_wait_s": int(os.environ.get("REMIX_JOBS_TRANSIENT_WAIT_S", "3")),
        # Seconds between polls for new jobs when no notification arrives (LISTEN/NOTIFY is the fast path).
        "poll_s": float(os.environ.get("REMIX_JOBS_POLL_S", "5")),
        # Days procrastinate keeps the rows of finished jobs (failures stay in background.JobFailure).
        "keep_days": 30,
    },
}

# Deliveries, exports and published rasters go through Django's storage API (remix/storage.py): folders by default,
# an S3-compatible object store (MinIO, AWS S3...) shared by every app server and worker when
# REMIX_STORAGE=s3 (bucket and endpoint from REMIX_S3_*; docs/operations.md).
if os.environ.get("REMIX_STORAGE", "filesystem") == "s3":
    from remix.storage import s3_options  # noqa: E402

    STORAGES.update(
        {
            alias: {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": s3_options(alias)}
            for alias in ("consegne", "exports")
        }
    )
    # A raster is republished under its own name (one PUT replaces the object).
    STORAGES["rasters"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**s3_options("rasters"), "file_overwrite": True},
    }
else:
    STORAGES.update(
        {
            alias: {
                "BACKEND": "remix.storage.SettingFileSystemStorage",
                "OPTIONS": {"setting": setting, "file_permissions_mode": 0o640, "directory_permissions_mode": 0o750},
            }
            for alias, setting in (("consegne", "CONSEGNE_DIR"), ("exports", "EXPORT_DIR"), ("rasters", "RASTER_DIR"))
        }
    )

# Logs: the console (gunicorn's error log and the worker's log under var/log/ catch it) and a rotated
# file per process kind (REMIX_LOG_NAME: web, worker, remix), so every unhandled exception and its
# traceback is kept whoever prints it. REMIX_LOG_DIR set empty: console only (containers).
LOG_DIR = os.environ.get("REMIX_LOG_DIR", str(BASE_DIR / "var" / "log"))
_log_handlers = {}
if _env_bool("REMIX_LOG_CONSOLE", True):  # off where a supervisor already sends the file handler's lines
    _log_handlers["console"] = {"class": "logging.StreamHandler", "formatter": "plain"}
if LOG_DIR:
    Path(LOG_DIR).mkdir(parents=True, exist_ok=True)
    _log_handlers["file"] = {
        "class": "logging.handlers.RotatingFileHandler",
        "formatter": "plain",
        "level": "INFO",
        "filename": str(Path(LOG_DIR) / f"{os.environ.get('REMIX_LOG_NAME', 'remix')}.log"),
        "maxBytes": 10 * 1024 * 1024,
        "backupCount": 5,
        "encoding": "utf-8",
        "delay": True,
    }
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"}},
    "handlers": _log_handlers,
    "root": {"handlers": list(_log_handlers), "level": os.environ.get("REMIX_LOG_LEVEL", "WARNING")},
    "loggers": {
        # Unhandled exceptions of requests (500s) with their traceback, and the job system's own word.
        "django.request": {"level": "ERROR"},
        "procrastinate": {"level": os.environ.get("REMIX_JOBS_LOG_LEVEL", "WARNING")},
        "background": {"level": "INFO"},
    },
}

# Debian's GDAL 3.6 cannot sandbox spatial-reference parsing; Remix never hands untrusted SRS text
# to Django's GDAL bindings (uploaded files are read through pyogrio's own, newer GDAL).
SILENCED_SYSTEM_CHECKS = ["gis.W001"]

# --- Security (issue 12) ---------------------------------------------------------------------------
from datetime import timedelta  # noqa: E402

# One throttle for every way in (the login form, the admin, HTTP Basic on /ows): django-axes counts
# the failures of django.contrib.auth.authenticate() whatever called it, in the database (shared by
# every app server). Locked per username and per client address after AXES_FAILURE_LIMIT failures;
# a lock ends AXES_COOLOFF_TIME after the failure that set it (failures during the lock do not
# extend it), so an attacker cannot keep a real user out for long, and records older than the
# cool-off are deleted at the next failure (the table stays bounded). Successful logins are not logged.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("REMIX_LOGIN_MAX_FAILURES", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("REMIX_LOGIN_COOLOFF_MIN", "10")))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_DISABLE_ACCESS_LOG = True
AXES_LOCKOUT_CALLABLE = "remix.security.lockout_response"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "remix.security.client_ip"
# Proxies in front of the app that append to X-Forwarded-For (0: the client is REMOTE_ADDR).
REMIX_PROXY_COUNT = int(os.environ.get("REMIX_PROXY_COUNT", "0"))

CSRF_FAILURE_VIEW = "remix.security.csrf_failure"

# E-mail (invitations, password reset): printed on the console unless an SMTP server is configured.
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("DJANGO_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("DJANGO_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("DJANGO_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("DJANGO_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _env_bool("DJANGO_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "remix@localhost")
# Days an invitation or password-reset link stays valid.
PASSWORD_RESET_TIMEOUT = 3 * 24 * 3600

# Caches: "shared" is a database table every app server sees (OGC registry version, identical
# exports); `manage.py createcachetable` makes it (make migrate does).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "remix_cache",
        "OPTIONS": {"MAX_ENTRIES": 100_000},
    },
}

# Requests per client address (or user, by session or API token) per window on the expensive public
# endpoints: scope -> (requests, seconds). Over the limit: HTTP 429 with Retry-After ("riprova tra
# N s"). Counted in the table remix_ratecounter (one atomic statement; shared by every app server).
RATE_LIMITS = {
    "export": (int(os.environ.get("REMIX_RATE_EXPORT", "10")), 600),
    "summary": (int(os.environ.get("REMIX_RATE_SUMMARY", "120")), 60),
    "identify": (int(os.environ.get("REMIX_RATE_IDENTIFY", "240")), 60),
}
# Which views count against which limit (URL names; "POST " first: only that method counts).
RATE_LIMITED_VIEWS = {
    "POST exports_api:create": "export",
    "POST exports:form": "export",
    "api:summary": "summary",
    "api:compare": "summary",
    "api:identify": "identify",
}

# Content security policy (django-csp): scripts only from our own files, no inline script or
# handler; images also from the basemap servers of REMIX["BASEMAPS"].
_basemap_origins = sorted(
    {"{0.scheme}://{0.netloc}".format(urlsplit(b["url"])) for b in REMIX["BASEMAPS"] if b["url"].startswith("https://")}
)
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        # Leaflet positions tiles and popups with style attributes.
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *_basemap_origins],
        "connect-src": ["'self'"],
        "font-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Production: behind a TLS-terminating reverse proxy that sets X-Forwarded-Proto.
if REMIX_ENV == "production":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # the proxy's and the orchestrator's health checks
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("REMIX_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REFERRER_POLICY = "same-origin"
    USE_X_FORWARDED_HOST = _env_bool("REMIX_USE_X_FORWARDED_HOST", False)

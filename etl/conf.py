"""Settings of the ETL, each stated once with its default.

The project's values are in ``settings.REMIX`` (remix/settings.py); read them as ``conf.NAME``
(see remix/conf.py). ``WORK_DIR`` and ``STORAGE_SRID`` are the project's (``remix.conf``)."""

from pathlib import Path

from django.conf import settings

from remix.conf import reader

DEFAULTS = {
    # Where sources with relative paths are read from (the bundled datasets).
    "DATA_DIR": lambda: Path(settings.BASE_DIR) / "data",
    # A copy of the file each version was loaded from, so any version can be restored.
    "ETL_ARCHIVE_DIR": lambda: Path(settings.BASE_DIR) / "var" / "etl" / "archive",
    # Generated synthetic datasets, cached by seed and scale.
    "SYNTHETIC_DIR": lambda: Path(settings.BASE_DIR) / "var" / "synthetic",
    # Where rasters are published (the ETL writes them, MapServer reads them).
    "RASTER_DIR": lambda: Path(settings.BASE_DIR) / "var" / "rasters",
}

__getattr__ = reader(__name__, DEFAULTS)

"""Settings of indicatori, each stated once with its default (read as ``conf.NAME``, see remix/conf.py).
Rasters are read from the ETL's ``RASTER_DIR`` (``etl.conf``)."""

from pathlib import Path

from django.conf import settings

from remix.conf import reader

DEFAULTS = {
    # Where built atlas sheets (PDF) are kept.
    "ATLAS_DIR": lambda: Path(settings.BASE_DIR) / "var" / "atlante",
}

__getattr__ = reader(__name__, DEFAULTS)

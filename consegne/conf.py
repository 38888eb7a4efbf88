"""Settings of consegne (PGT deliveries), each stated once with its default.

The project's values are in ``settings.REMIX`` (remix/settings.py); read them as ``conf.NAME``
(see remix/conf.py). ``WORK_DIR`` is the project's (``remix.conf``)."""

from pathlib import Path

from django.conf import settings

from remix.conf import reader

DEFAULTS = {
    # Uploads above this size are refused before they are stored (MB).
    "CONSEGNE_MAX_UPLOAD_MB": 200,
    # Unpacked size (MB) and compression ratio above which a zip is treated as a zip bomb.
    "CONSEGNE_MAX_UNPACKED_MB": 1500,
    "CONSEGNE_MAX_RATIO": 200,
    # Where uploaded deliveries are kept, when stored in a folder (remix/storage.py).
    "CONSEGNE_DIR": lambda: Path(settings.BASE_DIR) / "var" / "consegne",
    # Days the file of a delivery that ended without becoming a version is kept.
    "CONSEGNE_RETENTION_DAYS": 90,
    # Overflow beyond the comune boundary tolerated before it is an error (metres).
    "CONSEGNE_BOUNDARY_TOLERANCE_M": 2.0,
    # Time limit of one validation (seconds).
    "CONSEGNE_VALIDATION_TIMEOUT_S": 900,
}

__getattr__ = reader(__name__, DEFAULTS)

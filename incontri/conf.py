"""Settings of incontri, each stated once with its default (read as ``conf.NAME``, see remix/conf.py)."""

from remix.conf import reader

DEFAULTS = {
    # Criteria files replacing the shipped ones: {"matching": "/path.yaml", ...}.
    "INCONTRI_CRITERIA": {},
    # Queue the recomputation after each ETL load (False: the first read catches up).
    "INCONTRI_REFRESH_ON_LOAD": True,
}

__getattr__ = reader(__name__, DEFAULTS)

"""One refresh of the stored analyses (zonal statistics, area context), never two at once.

Every path — the background task deferred after an ETL load (``incontri.tasks``), ``manage.py incontri
refresh`` and the catch-up on read (``incontri.freshness``) — goes through :func:`run`, which holds a
PostgreSQL advisory lock for its duration: a second caller, in any process, waits for the first and then
finds nothing stale (the refresh recomputes only the pairs whose data versions moved on).
"""

from __future__ import annotations

import logging

from remix import db

log = logging.getLogger(__name__)
LOCK_KEY = 0x1C0_7E57  # the advisory lock of the incontri refresh (any bigint unique in the project)


def run(force: bool = False, rasters=None, sets=None) -> dict:
    """Recompute what is stale (all with ``force``); returns ``{"zonal": [...], "context": [...]}``."""
    from . import context, zonal

    db.fetch_value("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    try:
        done = {
            "zonal": zonal.refresh(rasters=rasters, sets=sets, force=force),
            "context": context.refresh(force=force),
        }
    finally:
        db.fetch_value("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    for raster, area_set, n in done["zonal"]:
        log.info("incontri: %s over %s recomputed (%d areas)", raster, area_set, n)
    for kind, n in done["context"]:
        log.info("incontri: context of %s recomputed (%d areas)", kind, n)
    return done


def is_running() -> bool:
    """True while a refresh holds the lock (in any session)."""
    return db.fetch_value(
        "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted"
        " AND ((classid::bigint << 32) | objid::bigint) = %s)",
        [LOCK_KEY],
    )

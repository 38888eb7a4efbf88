"""``ST_IsValid`` of a first load's geometries on a side connection, while the load builds indexes.

Checking every geometry with GEOS is the largest part of a large load's validation (0.4 s of
CPU for 289,015 polygons), and the load's own connection does it after the COPY, when the second
core has nothing to do; then that connection builds the single-process indexes (the GiSTs), with
the second core idle again. The check needs only the geometries, not the rows the load's
transaction wrote, so here a second connection to the same database does it while the load builds
those indexes: the same WKB the target received is COPYed, in slices, into a temporary table of
the side session, and the same PostGIS function judges it (``ST_IsValid`` of the same server, so
the answer is the one the load's connection would give). The load then reads the row numbers
found invalid instead of calling ``ST_IsValid`` itself (:func:`etl.staging.validate`).

Anything going wrong on the side (no connection, an error, a cancelled check) only means no
answer: the load computes validity itself, as before.
"""

from __future__ import annotations

import contextlib
import logging
import threading

import psycopg
import pyarrow as pa

from remix import db
from remix.db import copy

log = logging.getLogger(__name__)

SLICE_ROWS = 25_000  # a slice fits the side session's temporary buffers (8 MB by default)
TABLE = "etl_validity"
# Django's own connection settings, less its Django-only objects.
_DJANGO_ONLY = {"cursor_factory", "context"}


class SideCheck:
    """``with SideCheck(params, rows) as check: …; check.invalid()``: the row numbers (``_row``)
    whose geometry (``_geom``, WKB) ``ST_IsValid`` finds invalid, computed on a thread with its own
    connection (``params``: psycopg's connection arguments) while the block runs; None if it failed."""

    def __init__(self, params: dict, rows: pa.Table):
        self.params = {k: v for k, v in params.items() if k not in _DJANGO_ONLY}
        self.rows = rows
        self.conn: psycopg.Connection | None = None
        self.result: list[int] | None = None
        self.cancelled = False
        self.thread = threading.Thread(target=self._run, name="etl-validity", daemon=True)

    def __enter__(self) -> SideCheck:
        self.thread.start()
        return self

    def __exit__(self, kind, value, tb) -> None:
        if kind is not None:  # the load failed: stop the check rather than wait for it
            self.cancelled = True
            conn = self.conn
            if conn is not None:
                with contextlib.suppress(psycopg.Error):
                    conn.cancel()
        self.thread.join()

    def invalid(self) -> list[int] | None:
        self.thread.join()
        return self.result

    def _run(self) -> None:
        try:
            with psycopg.connect(**self.params, autocommit=True) as conn:
                self.conn = conn
                invalid = []
                with conn.cursor() as cur:
                    db.execute(cur, "SET jit = off")  # one pass per slice: never worth compiling
                    db.execute(cur, db.compose("CREATE TEMP TABLE {t} (_row integer, _geom geometry)", t=TABLE))
                    for batch in self.rows.to_batches(SLICE_ROWS):
                        if self.cancelled:
                            return
                        copy.copy_table(cur, TABLE, pa.Table.from_batches([batch]), kinds=["int4", "geometry"])
                        query = db.compose("SELECT _row FROM {t} WHERE NOT ST_IsValid(_geom)", t=TABLE)
                        invalid += [row for (row,) in db.execute(cur, query).fetchall()]
                        db.execute(cur, db.compose("TRUNCATE {t}", t=TABLE))
                self.result = invalid
        except Exception as err:  # noqa: BLE001 - no answer from the side: the load checks validity itself
            log.info(
                "geometry validity on a side connection failed (%s: %s): checked in the load", type(err).__name__, err
            )
            self.result = None
        finally:
            self.conn = None

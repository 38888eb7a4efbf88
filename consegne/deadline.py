"""The time limit of one validation: checked between steps and enforced inside PostgreSQL and SQLite.

Every validation gets ``CONSEGNE_VALIDATION_TIMEOUT_S`` seconds. Each database connection the
validation uses gets a ``statement_timeout`` of the time left (so one slow query cannot outlive the
limit), the GeoPackage inspection a SQLite progress handler, and the steps in between check the
clock. Past the limit the validation stops with a ``timeout`` finding naming the step.
"""

from __future__ import annotations

import time

import psycopg.errors

from remix import db

from . import conf
from .errors import ConsegneError


class ValidationTimeout(ConsegneError, TimeoutError):
    """The validation ran past its time limit during ``step``."""

    def __init__(self, step: str):
        super().__init__(step)
        self.step = step


class Deadline:
    """When the validation must end; ``None`` seconds means the configured limit."""

    def __init__(self, seconds: float | None = None):
        self.seconds = float(seconds if seconds is not None else conf.CONSEGNE_VALIDATION_TIMEOUT_S)
        self.ends = time.monotonic() + self.seconds
        self.step = ""  # the last step started (lanes: of either lane)
        self.failed = ""  # the step whose statement failed first, when known

    def stopped_in(self, err: BaseException | None = None) -> str:
        """The step the time limit stopped."""
        return getattr(err, "step", "") or self.failed or self.step

    def remaining(self) -> float:
        return self.ends - time.monotonic()

    def check(self, step: str) -> None:
        """Record the step about to run; raise :class:`ValidationTimeout` when the time is up."""
        self.step = step or self.step
        if self.remaining() <= 0:
            raise ValidationTimeout(self.step)

    def limit(self, cursor) -> None:
        """Bound every following statement of ``cursor``'s connection by the time left."""
        millis = max(1, int(self.remaining() * 1000))
        db.execute(cursor, "SELECT set_config('statement_timeout', %s, false)", [str(millis)])


def unlimited(cursor) -> None:
    """Give the connection back its normal (unbounded) statement timeout."""
    db.execute(cursor, "SELECT set_config('statement_timeout', '0', false)")


def is_timeout(err: BaseException) -> bool:
    """Whether ``err`` (or what caused it) is a time limit: ours, or a cancelled PostgreSQL statement."""
    seen = set()
    while err is not None and id(err) not in seen:
        seen.add(id(err))
        if isinstance(err, ValidationTimeout | psycopg.errors.QueryCanceled):
            return True
        err = err.__cause__ or err.__context__
    return False

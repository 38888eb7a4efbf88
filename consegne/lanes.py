"""Run a validation's independent steps in two lanes at once, each on a connection of its own.

Validation is PostgreSQL work that one connection does on one core; the machine has more.
Steps that do not depend on each other (copying different layers, different checks) are split
into lanes that run in threads, each with its own database connection. The staging tables are
committed, so every connection sees them. Inside a transaction (the test suite wraps tests in
one) other connections would not see them: the lanes then run one after the other, on this
connection, with the same result.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

from django.db import connection

from remix import db

Step = tuple[str, Callable[[], object]]
POLL_S = 0.3  # how often progress is reported while the lanes run


def balance(items: list, weight: Callable[[object], float], lanes: int = 2) -> list[list]:
    """Split ``items`` into ``lanes`` lists of about the same total weight (heaviest first)."""
    out: list[list] = [[] for _ in range(lanes)]
    totals = [0.0] * lanes
    for item in sorted(items, key=weight, reverse=True):
        i = totals.index(min(totals))
        out[i].append(item)
        totals[i] += weight(item)
    return [lane for lane in out if lane]


def run(lanes: list[list[Step]], progress: Callable[[str], None], deadline=None) -> dict[str, float]:
    """Run the lanes (in parallel when possible); ``progress`` is told each step's name, from this
    thread. Returns each step's duration in seconds. A step's exception is raised here.

    With a ``deadline`` (consegne.deadline.Deadline) each step starts only in time and each of its
    statements is cancelled by PostgreSQL when the time is up."""
    seconds: dict[str, float] = {}
    if connection.in_atomic_block or len(lanes) < 2:
        for name, step in (s for lane in lanes for s in lane):
            progress(name)
            _step(name, step, seconds, deadline)
    else:
        _parallel(lanes, progress, seconds, deadline)
    return seconds


def _bounded(name: str, deadline) -> None:
    if deadline is not None:
        deadline.check(name)
        with connection.cursor() as cur:
            deadline.limit(cur)


def _parallel(
    lanes: list[list[Step]], progress: Callable[[str], None], seconds: dict[str, float], deadline=None
) -> None:
    started: list[str] = []
    failed = threading.Event()  # a lane that fails stops the other before its next step

    def lane(steps: list[Step]) -> None:
        try:
            with connection.cursor() as cur:
                db.execute(cur, "SET jit = off")  # as on the validation's connection (see Staging.create)
            for name, step in steps:
                if failed.is_set():
                    return
                started.append(name)
                _step(name, step, seconds, deadline)
        except BaseException:
            failed.set()
            raise
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(lanes), thread_name_prefix="consegne-lane") as pool:
        futures = [pool.submit(lane, steps) for steps in lanes]
        reported = 0
        while True:
            done, _ = wait(futures, timeout=POLL_S, return_when=FIRST_EXCEPTION)
            for name in started[reported:]:
                progress(name)
            reported = len(started)
            if len(done) == len(futures) or any(f.exception() for f in done):
                break
        for future in futures:
            future.result()  # the first failure fails the validation (the other lane is waited for)


def _step(name: str, step: Callable[[], object], seconds: dict, deadline) -> None:
    """Run one step within the deadline (if any), remembering which step failed first."""
    _bounded(name, deadline)
    try:
        _timed(name, step, seconds)
    except BaseException:
        if deadline is not None and not deadline.failed:
            deadline.failed = name  # which step a cancelled statement belonged to
        raise


def _timed(name: str, step: Callable[[], object], seconds: dict) -> None:
    started = time.perf_counter()
    step()
    seconds[name] = round(time.perf_counter() - started, 3)

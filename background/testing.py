"""Running jobs in tests: deferred to procrastinate's in-memory connector, run in the calling thread.

The test's own transaction (pytest-django) is visible only to its thread, so a job is run here, by
its task function, instead of by a worker thread; what a task does is exactly what a worker runs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from types import SimpleNamespace

from procrastinate import testing
from procrastinate.contrib.django import app
from procrastinate.jobs import Job


class InMemoryConnector(testing.InMemoryConnector):
    """procrastinate's in-memory connector, whose sync calls also work in a thread that runs an event
    loop (Playwright's sync API keeps one in the test thread)."""

    def execute_query(self, query, **arguments):
        return _run(self.execute_query_async(query, **arguments))

    def execute_query_one(self, query, **arguments):
        return _run(self.execute_query_one_async(query, **arguments))

    def execute_query_all(self, query, **arguments):
        return _run(self.execute_query_all_async(query, **arguments))

    def execute_query_one_with_connection(self, connection, query, **arguments):
        return _run(self.execute_query_one_async(query, **arguments))

    def execute_query_all_with_connection(self, connection, query, **arguments):
        return _run(self.execute_query_all_async(query, **arguments))


def _run(coro):
    with concurrent.futures.ThreadPoolExecutor(1) as pool:  # pure Python state: any thread will do
        return pool.submit(asyncio.run, coro).result()


def in_memory():
    """Context manager: defer jobs to memory for the duration (see tests/conftest.py)."""
    return app.replace_connector(InMemoryConnector())


def run_jobs(queue: str | None = None, raise_errors: bool = False) -> int:
    """Run every job waiting in the in-memory queue (``queue`` only, if given); returns how many ran.

    A job that fails is marked failed, as a worker would (its domain row already says why).
    """
    connector = app.connector
    if not isinstance(connector, testing.InMemoryConnector):
        raise RuntimeError("run_jobs needs the in-memory connector (tests/conftest.py)")
    done = 0
    while True:
        todo = sorted(
            (
                row
                for row in connector.jobs.values()
                if row["status"] == "todo"
                and not row["task_name"].startswith("procrastinate.")
                and (queue is None or row["queue_name"] == queue)
            ),
            key=lambda row: row["id"],
        )
        if not todo:
            return done
        row = todo[0]
        row["status"] = "doing"
        task = app.tasks[row["task_name"]]
        args = {"context": SimpleNamespace(job=Job.from_row(row), app=app)} if task.pass_context else {}
        try:
            task.func(*args.values(), **row["args"])
        except Exception:
            row["status"] = "failed"
            if raise_errors:
                raise
        else:
            row["status"] = "succeeded"
        done += 1


def queued(queue: str | None = None) -> list[dict]:
    """The jobs waiting in the in-memory queue."""
    return [
        row
        for row in app.connector.jobs.values()
        if row["status"] == "todo" and (queue is None or row["queue_name"] == queue)
    ]

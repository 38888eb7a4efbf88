"""manage.py worker: run the background jobs (validations, loads, exports, maintenance) in one process.

One procrastinate worker per queue, each with its own concurrency, heartbeat and worker row, all in
one asyncio loop: a slow export never holds back a validation, and the maintenance queue (recovery
of stalled jobs, retention, expired exports) always has a slot. SIGTERM/SIGINT stop the workers
gracefully (running jobs finish); if one worker dies the process exits non-zero so that its
supervisor (scripts/worker.sh, or the container runtime) starts a fresh one.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from procrastinate.contrib.django import app

from background import runtime

log = logging.getLogger("background.worker")


class Command(BaseCommand):
    help = "Run the background jobs: validations, ETL loads, GeoPackage exports, periodic maintenance."

    def add_arguments(self, parser):
        parser.add_argument(
            "--queues",
            nargs="+",
            choices=runtime.QUEUES,
            default=list(runtime.QUEUES),
            help="queues to serve (default: all)",
        )
        parser.add_argument("--once", action="store_true", help="run what is queued now, then stop")

    def handle(self, *args, queues, once, **options):
        plan = {q: int(runtime.conf("concurrency").get(q, 1)) for q in queues}
        self.stdout.write(f"[remix] worker: {', '.join(f'{q}×{n}' for q, n in plan.items())}")
        # The web side defers through Django's connection; a worker needs its own (LISTEN/NOTIFY, pool).
        worker_connector = getattr(app.connector, "get_worker_connector", None)
        context = app.replace_connector(worker_connector()) if worker_connector else contextlib.nullcontext(app)
        with context as worker_app:
            failed = _run(_serve(worker_app, plan, once))
        if failed:
            raise CommandError(f"worker stopped: {failed}")


def _run(coro):
    """asyncio.run, also where this thread already runs an event loop (a caller inside an async
    framework, e.g. Playwright's sync API in tests): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def _serve(worker_app, plan: dict[str, int], once: bool) -> str:
    options = {
        "wait": not once,
        "install_signal_handlers": False,
        "delete_jobs": "successful",
        "update_heartbeat_interval": runtime.conf("heartbeat_s"),
        "stalled_worker_timeout": runtime.conf("stalled_after_s"),
        "fetch_job_polling_interval": runtime.conf("poll_s"),
    }
    async with worker_app.open_async():
        tasks = [
            asyncio.create_task(
                worker_app.run_worker_async(queues=[q], concurrency=n, name=f"remix-{q}", **options), name=q
            )
            for q, n in plan.items()
        ]
        loop = asyncio.get_running_loop()
        stopping = []

        def stop():
            stopping.append(True)
            for task in tasks:
                task.cancel()  # procrastinate stops gracefully: running jobs finish first

        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, stop)
        # Serving for ever, a worker that ends by itself (its heartbeat or listener lost the database)
        # ends the process too, so that the supervisor starts a fresh one.
        done, pending = await asyncio.wait(
            tasks, return_when=asyncio.ALL_COMPLETED if once else asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
    errors = [f"{t.get_name()}: {t.exception()!r}" for t in done if not t.cancelled() and t.exception()]
    if not once and not stopping and not errors:
        errors = [f"{t.get_name()}: stopped by itself" for t in done]
    for error in errors:
        log.error("worker %s", error)
    return "; ".join(errors)

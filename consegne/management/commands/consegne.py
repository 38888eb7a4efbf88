"""manage.py consegne worker|spec-load|requeue: the delivery queue and the specification outside the web."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from consegne import jobs, spec
from consegne.errors import ConsegneError


class Command(BaseCommand):
    help = "Validation worker and specification loading for PGT deliveries"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        worker = sub.add_parser("worker", help="validate queued deliveries (run as a service, or --once)")
        worker.add_argument("--once", action="store_true", help="drain the queue once and exit")
        worker.add_argument("--interval", type=float, default=2.0, help="seconds between polls")
        sub.add_parser("spec-load", help="load the committed specification files not loaded yet")
        requeue = sub.add_parser("requeue", help="queue again deliveries left 'in validazione' by a crash")
        requeue.add_argument("--older-than", type=int, default=30, help="minutes")

    def handle(self, *args, action, **options):
        try:
            if action == "spec-load":
                spec.ensure_loaded()
                self.stdout.write(f"specifica in vigore: {spec.current_code()}")
            elif action == "requeue":
                self.stdout.write(f"rimesse in coda: {jobs.requeue_stale(options['older_than'])}")
            else:
                self._worker(options["once"], options["interval"])
        except ConsegneError as err:
            raise CommandError(str(err)) from err

    def _worker(self, once: bool, interval: float) -> None:
        jobs.requeue_stale()
        while True:
            done = jobs.run_pending()
            if done:
                self.stdout.write(f"validate: {done}")
            if once:
                return
            time.sleep(interval)

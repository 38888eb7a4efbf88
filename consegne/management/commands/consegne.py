"""manage.py consegne worker|spec-load|requeue|purge: the delivery queue, the specification and file retention."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from consegne import jobs, retention, spec
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
        purge = sub.add_parser("purge", help="delete the files of deliveries that ended without becoming a version "
                                             "(non valida, errore interno, rinviata) over N days ago; records are kept")
        purge.add_argument("--days", type=int, default=None,
                           help="days after the end (default: REMIX_CONSEGNE_RETENTION_DAYS, 90 unless set)")
        purge.add_argument("--dry-run", action="store_true", help="list what would be deleted, change nothing")

    def handle(self, *args, action, **options):
        try:
            if action == "spec-load":
                spec.ensure_loaded()
                self.stdout.write(f"specifica in vigore: {spec.current_code()}")
            elif action == "requeue":
                self.stdout.write(f"rimesse in coda: {jobs.requeue_stale(options['older_than'])}")
            elif action == "purge":
                self._purge(options["days"], options["dry_run"])
            else:
                self._worker(options["once"], options["interval"])
        except ConsegneError as err:
            raise CommandError(str(err)) from err

    def _purge(self, days: int | None, dry_run: bool) -> None:
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more")
        result = retention.purge(days, dry_run)
        verb = "da eliminare (prova, nulla è cambiato)" if dry_run else "file eliminati"
        self.stdout.write(f"{verb}: {len(result.purged)} ({result.bytes / 1e6:.1f} MB), consegne concluse prima del "
                          f"{result.cutoff:%d/%m/%Y %H:%M}: {', '.join(map(str, result.purged)) or '-'}")
        if result.outside:
            self.stdout.write(f"fuori da CONSEGNE_DIR, lasciati: {', '.join(map(str, result.outside))}")
        for pk, error in result.errors.items():
            self.stderr.write(f"consegna {pk}: {error}")

    def _worker(self, once: bool, interval: float) -> None:
        jobs.requeue_stale()
        while True:
            done = jobs.run_pending()
            if done:
                self.stdout.write(f"validate: {done}")
            purged = retention.purge_if_due()  # once a day, whichever worker comes first
            if purged is not None and purged.purged:
                self.stdout.write(f"file eliminati: {len(purged.purged)}")
            if once:
                return
            time.sleep(interval)

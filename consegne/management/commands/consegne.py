"""manage.py consegne spec-load|requeue|purge: the specification, validating a delivery again, file retention.

Validations run in the background worker (`manage.py worker`, started by `make run`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from consegne import jobs, retention, spec
from consegne.errors import ConsegneError
from consegne.models import Consegna


class Command(BaseCommand):
    help = "Specification loading, validation retries and file retention for PGT deliveries"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("spec-load", help="load the committed specification files not loaded yet")
        requeue = sub.add_parser(
            "requeue",
            help="validate again a delivery that ended with an internal error "
            "(refused while it is queued or being validated)",
        )
        requeue.add_argument("consegna", type=int, help="id of the delivery")
        purge = sub.add_parser(
            "purge",
            help="delete the files of deliveries that ended without becoming a version "
            "(non valida, errore interno, rinviata) over N days ago; records are kept",
        )
        purge.add_argument(
            "--days",
            type=int,
            default=None,
            help="days after the end (default: REMIX_CONSEGNE_RETENTION_DAYS, 90 unless set)",
        )
        purge.add_argument("--dry-run", action="store_true", help="list what would be deleted, change nothing")

    def handle(self, *args, action, **options):
        try:
            if action == "spec-load":
                spec.ensure_loaded()
                self.stdout.write(f"specifica in vigore: {spec.current_code()}")
            elif action == "requeue":
                consegna = Consegna.objects.filter(pk=options["consegna"]).first()
                if consegna is None:
                    raise CommandError(f"consegna {options['consegna']} inesistente")
                jobs.requeue(consegna)
                self.stdout.write(f"consegna {consegna.pk} rimessa in coda")
            else:
                self._purge(options["days"], options["dry_run"])
        except ConsegneError as err:
            raise CommandError(str(err)) from err

    def _purge(self, days: int | None, dry_run: bool) -> None:
        if days is not None and days < 0:
            raise CommandError("--days must be 0 or more")
        result = retention.purge(days, dry_run)
        verb = "da eliminare (prova, nulla è cambiato)" if dry_run else "file eliminati"
        self.stdout.write(
            f"{verb}: {len(result.purged)} ({result.bytes / 1e6:.1f} MB), consegne concluse prima del "
            f"{result.cutoff:%d/%m/%Y %H:%M}: {', '.join(map(str, result.purged)) or '-'}"
        )
        if result.outside:
            self.stdout.write(f"fuori da CONSEGNE_DIR, lasciati: {', '.join(map(str, result.outside))}")
        for pk, error in result.errors.items():
            self.stderr.write(f"consegna {pk}: {error}")

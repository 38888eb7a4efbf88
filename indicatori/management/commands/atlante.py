"""manage.py atlante build [--comune ISTAT | --zona CODE | --cmm | --all] [--lang it|en] [--now]
   manage.py atlante status [BUILD_ID]

``build`` queues the sheets to the job system (``manage.py worker`` renders them; the build's row
shows the progress: ``atlante status``); ``--now`` renders them here, synchronously, printing the
progress (operators, tests, benchmarks). Sheets are cached by the data versions they use: an
unchanged sheet is reused.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from indicatori import atlas, atlas_jobs
from indicatori.models import AtlasBuild


class Command(BaseCommand):
    help = "Schede dell'atlante metropolitano in PDF (A4)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build")
        which = build.add_mutually_exclusive_group(required=True)
        which.add_argument("--comune", help="codice ISTAT del comune")
        which.add_argument("--zona", help="codice della zona omogenea (la zona e i suoi comuni)")
        which.add_argument("--cmm", action="store_true", help="la scheda della Città metropolitana")
        which.add_argument("--all", action="store_true", help="tutte le schede (CMM, zone, comuni)")
        build.add_argument("--lang", choices=["it", "en"], default="it")
        build.add_argument(
            "--now", action="store_true", help="prepara le schede subito, in questo processo, invece che in background"
        )
        status = sub.add_parser("status")
        status.add_argument("build_id", nargs="?", type=int, help="numero della preparazione (default: le ultime)")

    def handle(self, *args, action, **opts):
        if action == "status":
            return self.status(opts.get("build_id"))
        if opts["all"]:
            scope = "all"
        elif opts["cmm"]:
            scope = "cmm"
        elif opts["zona"]:
            scope = f"zona:{opts['zona']}"
        else:
            scope = f"area:{opts['comune']}"
        try:
            areas = atlas_jobs.areas_of(scope)
            if opts["comune"] and areas[0].level != "comune":
                raise atlas.UnknownArea(opts["comune"])
        except atlas.UnknownArea as err:
            raise CommandError(f"area sconosciuta: {err}") from err
        if not opts["now"]:
            build = atlas_jobs.request(scope, opts["lang"])
            self.stdout.write(
                f"preparazione {build.pk} in background ({build.total} schede, stato {build.status}); "
                f"avanzamento: manage.py atlante status {build.pk}"
            )
            return
        started = time.perf_counter()

        def progress(done, total, area):
            self.stdout.write(f"[{done}/{total}] {area.name}")

        paths = atlas.build(areas, opts["lang"], progress)
        elapsed = time.perf_counter() - started
        self.stdout.write(
            f"{len(paths)} schede in {elapsed:.1f} s ({elapsed / max(1, len(paths)):.2f} s per scheda); "
            f"cartella {atlas.atlas_dir()}"
        )

    def status(self, build_id):
        rows = AtlasBuild.objects.filter(pk=build_id) if build_id else AtlasBuild.objects.order_by("-pk")[:10]
        if build_id and not rows:
            raise CommandError(f"preparazione {build_id} inesistente")
        for b in rows:
            line = f"{b.pk} {b.scope} {b.lang} {b.get_status_display()} {b.done}/{b.total}"
            if b.current:
                line += f" (ultima: {b.current})"
            if b.message:
                line += f" — {b.message}"
            self.stdout.write(line)

"""manage.py atlante build [--comune ISTAT | --zona CODE | --cmm | --all] [--lang it|en]

Builds the atlas sheets' PDFs (cached by the data versions they use: an unchanged sheet is reused).
``atlas.build`` is a plain function with a progress callback, so a job system can run it as is.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from indicatori import atlas


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

    def handle(self, *args, action, **opts):
        try:
            if opts["all"]:
                areas = atlas.all_areas()
            elif opts["cmm"]:
                areas = [atlas.get_area("cmm")]
            elif opts["zona"]:
                zona = atlas.get_area(opts["zona"])
                if zona.level != "zona":
                    raise atlas.UnknownArea(opts["zona"])
                areas = [zona, *atlas.zona_members(zona.code)]
            else:
                comune = atlas.get_area(opts["comune"])
                if comune.level != "comune":
                    raise atlas.UnknownArea(opts["comune"])
                areas = [comune]
        except atlas.UnknownArea as err:
            raise CommandError(f"area sconosciuta: {err}") from err
        started = time.perf_counter()

        def progress(done, total, area):
            self.stdout.write(f"[{done}/{total}] {area.name}")

        paths = atlas.build(areas, opts["lang"], progress)
        elapsed = time.perf_counter() - started
        self.stdout.write(f"{len(paths)} schede in {elapsed:.1f} s ({elapsed / max(1, len(paths)):.2f} s per scheda); "
                          f"cartella {atlas.atlas_dir()}")

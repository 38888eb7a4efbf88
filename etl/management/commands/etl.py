"""python manage.py etl list | run <id>|--all | status | history <id>: a thin edge over etl.pipeline."""

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from etl import pipeline
from etl.errors import EtlError
from etl.models import DatasetVersion
from etl.sources import all_sources, get_source


class Command(BaseCommand):
    help = "Load the declared datasets into PostGIS and inspect their versions."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="declared sources")
        run = sub.add_parser("run", help="load one source, or all of them")
        run.add_argument("source_id", nargs="?")
        run.add_argument("--all", action="store_true", help="every source, in dependency order")
        run.add_argument("--force", action="store_true", help="load even when the source is unchanged")
        run.add_argument("--location", help="read from this file instead of the declared location")
        run.add_argument("--quiet", action="store_true", help="one line per source")
        sub.add_parser("status", help="last version of each source")
        history = sub.add_parser("history", help="every version of one source")
        history.add_argument("source_id")

    def handle(self, *args, action, **opts):
        self.console = Console(file=self.stdout, width=140)
        try:
            getattr(self, f"do_{action}")(**opts)
        except EtlError as err:
            raise CommandError(str(err)) from err

    def do_list(self, **_):
        table = Table("id", "titolo", "tema", "lettore", "sorgente", "destinazione", title="Sorgenti dichiarate")
        for s in all_sources().values():
            title = s.title + (" [sintetico]" if s.synthetic else "")
            table.add_row(s.id, title, s.theme, s.reader, s.location, s.target)
        self.console.print(table)

    def do_run(self, source_id=None, all=False, force=False, location=None, quiet=False, **_):
        if bool(source_id) == bool(all):
            raise CommandError("Indicare una sorgente oppure --all.")
        sources = list(all_sources().values()) if all else [get_source(source_id)]
        results = []
        for source in sources:
            result = pipeline.run(source, location=location, force=force, run_by="cli")
            results.append(result)
            if quiet:
                self.stdout.write(
                    f"[remix] etl {result.source_id}: {result.status}"
                    + (f" v{result.version}" if result.version else "")
                    + (f", {result.loaded} caricati, {result.rejected} scartati" if result.status == "loaded" else "")
                )
        if not quiet:
            self._summary(results)

    def _summary(self, results):
        table = Table("sorgente", "esito", "versione", "letti", "caricati", "invariati", "eliminati", "scartati",
                      "s", title="Riepilogo")
        for r in results:
            table.add_row(r.source_id, r.status, str(r.version or "-"), str(r.read), str(r.loaded),
                          str(r.unchanged), str(r.deleted), str(r.rejected), f"{r.duration_s:.2f}")
        self.console.print(table)
        for r in results:
            for row, reason in r.rejects[:20]:
                self.console.print(f"  {r.source_id} riga {row}: {reason}")

    def do_status(self, **_):
        table = Table("sorgente", "versione", "esito", "caricata il", "righe", "scartate", title="Stato")
        for s in all_sources().values():
            last = DatasetVersion.objects.filter(source_id=s.id).order_by("-started_at").first()
            if last is None:
                table.add_row(s.id, "-", "mai caricata", "-", "-", "-")
            else:
                table.add_row(s.id, str(last.version or "-"), last.status, f"{last.started_at:%Y-%m-%d %H:%M}",
                              str(last.rows_loaded + last.rows_unchanged), str(last.rows_rejected))
        self.console.print(table)

    def do_history(self, source_id, **_):
        get_source(source_id)
        table = Table("versione", "esito", "inizio", "durata s", "letti", "caricati", "eliminati", "scartati",
                      "impronta", "errore", title=f"Storia di {source_id}")
        for v in DatasetVersion.objects.filter(source_id=source_id).order_by("-started_at"):
            table.add_row(str(v.version or "-"), v.status, f"{v.started_at:%Y-%m-%d %H:%M:%S}",
                          f"{v.duration_s or 0:.2f}", str(v.rows_read), str(v.rows_loaded), str(v.rows_deleted), str(v.rows_rejected),
                          v.checksum[:12], v.error[:60])
        self.console.print(table)

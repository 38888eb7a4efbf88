"""python manage.py etl list | run | status | history | restore | worker | jobs: a thin edge over etl."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from etl import archive, jobs, pipeline
from etl.declarations import all_sources, get_source
from etl.errors import EtlError
from etl.models import DatasetVersion, EtlJob


class Command(BaseCommand):
    help = "Load the declared datasets into PostGIS and inspect, restore and queue their versions."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="declared sources")
        run = sub.add_parser("run", help="load one source, or all of them")
        run.add_argument("source_id", nargs="?")
        run.add_argument("--all", action="store_true", help="every source, in dependency order")
        run.add_argument("--force", action="store_true", help="load even when the source is unchanged")
        run.add_argument("--location", help="read from this file instead of the declared location")
        run.add_argument("--quiet", action="store_true", help="one line per source, no progress bar")
        run.add_argument("--scale", type=int, help="synthetic sources: number of polygons to generate")
        run.add_argument("--seed", type=int, help="synthetic sources: random seed")
        run.add_argument("--background", action="store_true", help="queue the load for the worker (`manage.py worker`)")
        sub.add_parser("status", help="last version of each source")
        history = sub.add_parser("history", help="every version of one source")
        history.add_argument("source_id")
        restore = sub.add_parser("restore", help="load again the file of an earlier version")
        restore.add_argument("source_id")
        restore.add_argument("version", type=int)
        worker = sub.add_parser("worker", help="run queued background loads (the `loads` queue of `manage.py worker`)")
        worker.add_argument("--once", action="store_true", help="stop when the queue is empty")
        sub.add_parser("jobs", help="recent background loads")

    def handle(self, *args, action, **opts):
        self.console = Console(file=self.stdout, width=140)
        try:
            getattr(self, f"do_{action}")(**opts)
        except EtlError as err:
            raise CommandError(str(err)) from err

    def do_list(self, **_):
        table = Table(title="Sorgenti dichiarate")
        table.add_column("id", no_wrap=True)  # the id is what the operator types next: never cut it
        for name in ("titolo", "tema", "lettore", "sorgente", "destinazione", "aggiornamento"):
            table.add_column(name, overflow="fold")
        for s in all_sources().values():
            title = s.title + (" (sintetico)" if s.synthetic else "")  # not [..]: rich markup
            table.add_row(s.id, title, s.theme, s.reader, s.location, s.target, s.update_frequency)
        self.console.print(table)

    def do_run(
        self,
        source_id=None,
        all=False,
        force=False,
        location=None,
        quiet=False,
        scale=None,
        seed=None,
        background=False,
        **_,
    ):
        if bool(source_id) == bool(all):
            raise CommandError("Indicare una sorgente oppure --all.")
        sources = list(all_sources().values()) if all else [get_source(source_id)]
        options = {k: v for k, v in {"scale": scale, "seed": seed}.items() if v is not None}
        if background:
            for s in sources:
                extra = {"force": force, **({"location": location} if location else {})}
                job = jobs.enqueue(s.id, options={**options, **extra}, requested_by="cli")
                self.stdout.write(f"[remix] etl {s.id}: in coda come job {job.pk}")
            return
        results = self._run(sources, force=force, location=location, quiet=quiet, options=options)
        if not quiet:
            self._summary(results)

    def _run(self, sources, *, force, location, quiet, options):
        results = []
        if quiet:
            for source in sources:
                r = pipeline.run(source, location=location, force=force, run_by="cli", options=options)
                results.append(r)
                self.stdout.write(
                    f"[remix] etl {r.source_id}: {r.status}"
                    + (f" v{r.version}" if r.version else "")
                    + (f", {r.loaded} caricati, {r.rejected} scartati" if r.status == "loaded" else "")
                )
            return results
        columns = [
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
        ]
        with Progress(*columns, console=self.console, transient=True) as bar:
            task = bar.add_task("ETL", total=len(sources))
            for source in sources:

                def step(name, sid=source.id):
                    bar.update(task, description=f"{sid}: {name}")

                results.append(
                    pipeline.run(source, location=location, force=force, run_by="cli", progress=step, options=options)
                )
                bar.advance(task)
        return results

    def _summary(self, results):
        table = Table(title="Riepilogo")
        table.add_column("sorgente", no_wrap=True)
        for name in ("esito", "versione", "letti", "caricati", "invariati", "eliminati", "scartati", "s"):
            table.add_column(name)
        for r in results:
            table.add_row(
                r.source_id,
                r.status,
                str(r.version or "-"),
                str(r.read),
                str(r.loaded),
                str(r.unchanged),
                str(r.deleted),
                str(r.rejected),
                f"{r.duration_s:.2f}",
            )
        self.console.print(table)
        for r in results:
            if r.note:
                self.console.print(f"  {r.source_id}: {r.note}")
            for row, reason in r.rejects[:20]:
                self.console.print(f"  {r.source_id} riga {row}: {reason}")

    def do_status(self, **_):
        table = Table("sorgente", "versione", "esito", "caricata il", "righe", "scartate", title="Stato")
        for s in all_sources().values():
            last = DatasetVersion.objects.filter(source_id=s.id).order_by("-started_at").first()
            if last is None:
                table.add_row(s.id, "-", "mai caricata", "-", "-", "-")
            else:
                table.add_row(
                    s.id,
                    str(last.version or "-"),
                    last.status,
                    f"{last.started_at:%Y-%m-%d %H:%M}",
                    str(last.rows_loaded + last.rows_unchanged),
                    str(last.rows_rejected),
                )
        self.console.print(table)

    def do_history(self, source_id, **_):
        get_source(source_id)
        table = Table(
            "versione",
            "esito",
            "inizio",
            "durata s",
            "letti",
            "caricati",
            "invariati",
            "eliminati",
            "scartati",
            "impronta",
            "eseguito da",
            "ripristinabile",
            "errore",
            title=f"Storia di {source_id}",
        )
        for v in DatasetVersion.objects.filter(source_id=source_id).order_by("-started_at"):
            version = str(v.version or "-") + (f" (da v{v.restored_from})" if v.restored_from else "")
            table.add_row(
                version,
                v.status,
                f"{v.started_at:%Y-%m-%d %H:%M:%S}",
                f"{v.duration_s or 0:.2f}",
                str(v.rows_read),
                str(v.rows_loaded),
                str(v.rows_unchanged),
                str(v.rows_deleted),
                str(v.rows_rejected),
                v.checksum[:12],
                v.run_by,
                "sì" if v.archive else "no",
                v.error[:60],
            )
        self.console.print(table)

    def do_restore(self, source_id, version, **_):
        result = archive.restore(get_source(source_id), version, run_by="cli restore")
        self._summary([result])
        self.stdout.write(f"[remix] {source_id}: ripristinata la versione {version} come versione {result.version}")

    def do_worker(self, once=False, **_):
        args = ["worker", "--queues", "loads", "maintenance"] + (["--once"] if once else [])
        call_command(*args, stdout=self.stdout, stderr=self.stderr)

    def do_jobs(self, **_):
        table = Table(
            "job",
            "sorgente",
            "stato",
            "fase",
            "esito",
            "versione",
            "richiesto",
            "esecutore",
            "errore",
            title="Caricamenti in background",
        )
        for j in EtlJob.objects.all()[:30]:
            table.add_row(
                str(j.pk),
                j.source_id,
                j.status,
                j.step,
                j.result,
                str(j.version or "-"),
                f"{j.created_at:%Y-%m-%d %H:%M}",
                j.worker,
                j.error[:60],
            )
        self.console.print(table)

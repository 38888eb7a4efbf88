"""``manage.py layers``: registry services from the command line (GeoPackage exports, the OGC mapfile)."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from layers.exports import jobs
from layers.exports.errors import ExportError
from layers.exports.models import ExportJob
from layers.ogc import service
from layers.ogc.errors import OgcError


class Command(BaseCommand):
    help = "Esporta strati in GeoPackage o rigenera il mapfile dei servizi OGC."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="GeoPackage of layers, optionally within a comune, zona or bbox")
        export.add_argument("layers", nargs="*", help="layer slugs")
        export.add_argument("--comune", help="ISTAT code of a comune (6 digits)")
        export.add_argument("--zona", help="code of a zona omogenea")
        export.add_argument("--bbox", nargs=4, type=float, metavar=("MINX", "MINY", "MAXX", "MAXY"),
                            help="extent in EPSG:32632")
        export.add_argument("--user", help="export as this user (default: anonymous, public layers only)")
        export.add_argument("--output", help="copy the GeoPackage here")
        export.add_argument("--job", type=int, help="run an export job already planned (background runner)")
        sub.add_parser("mapfile", help="write the mapfile of the public layers (var/ogc)")

    def handle(self, *args, **opts):
        if opts["action"] == "mapfile":
            return self._mapfile()
        return self._export(opts)

    def _mapfile(self):
        try:
            path, sources = service.write_mapfile(service.visible_layers(None))
        except OgcError as err:
            raise CommandError(str(err)) from err
        self.stdout.write(f"{path} ({len(sources)} strati pubblici)")

    def _export(self, opts):
        try:
            job = ExportJob.objects.get(pk=opts["job"]) if opts["job"] else self._plan(opts)
            job = jobs.run(job)
        except ExportJob.DoesNotExist as err:
            raise CommandError(f"job {opts['job']} non trovato") from err
        except ExportError as err:
            raise CommandError(str(err)) from err
        if job.status != ExportJob.Status.DONE:
            raise CommandError(job.message)
        if opts.get("output"):
            import shutil

            shutil.copyfile(job.file, opts["output"])
        self.stdout.write(f"{opts.get('output') or job.file}: {job.features_total} elementi, {job.size_bytes} byte")

    def _plan(self, opts):
        user = get_user_model().objects.get(username=opts["user"]) if opts["user"] else None
        kind, key = ("", "")
        if opts["comune"]:
            kind, key = "comune", opts["comune"]
        elif opts["zona"]:
            kind, key = "zona", opts["zona"]
        return jobs.plan(user, opts["layers"], kind, key, opts["bbox"])

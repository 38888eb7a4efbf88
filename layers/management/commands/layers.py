"""python manage.py layers sync | list | publish | unpublish | export | mapfile: a thin edge over the registry."""

from django.core.management.base import BaseCommand, CommandError

from layers import actions
from layers.errors import LayersError
from layers.exports import cli as export_cli
from layers.models import Layer
from layers.sync import sync


class Command(BaseCommand):
    help = "Synchronise the layer registry with its declarations and publish or withdraw layers."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("sync", help="create/update layers from layers/declarations/*.yaml (admin edits kept)")
        sub.add_parser("list", help="registered layers")
        for name in ("publish", "unpublish"):
            cmd = sub.add_parser(name, help=f"{name} one layer")
            cmd.add_argument("slug")
        export_cli.add_arguments(sub)

    def handle(self, *args, action, **opts):
        try:
            getattr(self, f"do_{action}")(**opts)
        except Layer.DoesNotExist as err:
            raise CommandError(f"Strato inesistente: {opts.get('slug')}") from err
        except LayersError as err:
            raise CommandError(str(err)) from err

    def do_sync(self, **_):
        report = sync()
        self.stdout.write(
            f"[remix] layers sync: {len(report.created)} creati, {len(report.updated)} aggiornati, "
            f"{len(report.kept)} con modifiche dell'amministrazione mantenute"
        )
        for slug, fields in report.kept.items():
            self.stdout.write(f"  {slug}: mantenuti {', '.join(fields)}")
        for slug, problems in report.problems.items():
            self.stderr.write(f"  {slug}: {'; '.join(problems)}")
        if report.undeclared:
            self.stdout.write(f"  senza dichiarazione (lasciati come sono): {', '.join(report.undeclared)}")

    def do_list(self, **_):
        for layer in Layer.objects.all():
            flags = ("pubblicato" if layer.published else "non pubblicato") + (", sintetico" if layer.synthetic else "")
            self.stdout.write(f"{layer.slug:38} {layer.theme:14} {layer.visibility:14} {flags}")

    def do_publish(self, slug, **_):
        done = actions.publish(Layer.objects.get(slug=slug), None, via="cli")
        self.stdout.write(f"{slug}: " + ("pubblicato" if done else "era già pubblicato"))

    def do_unpublish(self, slug, **_):
        done = actions.unpublish(Layer.objects.get(slug=slug), None, via="cli")
        self.stdout.write(f"{slug}: " + ("ritirato" if done else "non era pubblicato"))

    def do_export(self, **opts):
        export_cli.export(self.stdout, opts)

    def do_mapfile(self, **_):
        export_cli.mapfile(self.stdout)

"""manage.py indicatori list | refresh [--force] [code…] | history <code>"""

from django.core.management.base import BaseCommand, CommandError

from indicatori.compute import compute, refresh_all
from indicatori.declarations import DeclarationError, all_indicators
from indicatori.models import IndicatorRun


class Command(BaseCommand):
    help = "Indicatori del sistema della conoscenza: elenco, ricalcolo, storia dei calcoli."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list")
        refresh = sub.add_parser("refresh")
        refresh.add_argument("codes", nargs="*")
        refresh.add_argument("--force", action="store_true", help="ricalcola anche a dati invariati")
        history = sub.add_parser("history")
        history.add_argument("code")

    def handle(self, *args, action, **opts):
        try:
            decls = all_indicators()
        except DeclarationError as err:
            raise CommandError(str(err)) from err
        if action == "list":
            for decl in decls.values():
                self.stdout.write(f"{decl.code:45} {decl.unit:8} {','.join(decl.levels):24} {decl.title_it}")
        elif action == "refresh":
            unknown = set(opts["codes"]) - set(decls)
            if unknown:
                raise CommandError(f"indicatori sconosciuti: {', '.join(sorted(unknown))}")
            if opts["codes"]:
                runs = [r for c in opts["codes"] if (r := compute(decls[c], trigger="cli", force=opts["force"]))]
            else:
                runs = refresh_all(force=opts["force"])
            for run in runs:
                self.stdout.write(f"{run.indicator.code}: {run.values} valori in {run.duration_s:.2f} s")
            self.stdout.write(f"{len(runs)} indicatori ricalcolati")
        else:
            for run in IndicatorRun.objects.filter(indicator__code=opts["code"]).order_by("-id"):
                when = f"{run.started_at:%Y-%m-%d %H:%M}"
                current = "*" if run.current else " "
                self.stdout.write(f"{when} {current} {run.values:6} {run.trigger:30} {run.input_versions}")

"""manage.py incontri refresh [--force] | bilancio <feature id>"""

import json

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Zonal statistics and opportunity-area context (refresh), the Bilancio of a PGT ambito (bilancio)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        refresh = sub.add_parser("refresh", help="recompute what the latest data versions made stale")
        refresh.add_argument("--force", action="store_true", help="recompute everything")
        bil = sub.add_parser("bilancio", help="print the Bilancio delle diffusività of an ambito as JSON")
        bil.add_argument("feature", type=int)

    def handle(self, *args, action, **opts):
        from incontri import bilancio, refresh

        if action == "refresh":  # synchronous: the same work as the background task, under the same lock
            done = refresh.run(force=opts["force"])
            for raster, area_set, n in done["zonal"]:
                self.stdout.write(f"zonal {raster} × {area_set}: {n}")
            for kind, n in done["context"]:
                self.stdout.write(f"context {kind}: {n}")
            return
        proposal = bilancio.from_pgt_feature(opts["feature"])
        if proposal is None:
            raise CommandError(f"no ambito di trasformazione with id {opts['feature']}")
        self.stdout.write(json.dumps(bilancio.compute(proposal), ensure_ascii=False, indent=2, default=str))

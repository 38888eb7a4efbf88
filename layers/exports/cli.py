"""The ``export`` and ``mapfile`` actions of ``manage.py layers`` (argument parsing and output only)."""

from __future__ import annotations

import shutil

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from remix import storage

from ..ogc import service
from ..ogc.errors import OgcError
from . import jobs
from .errors import ExportError
from .models import ExportJob


def add_arguments(sub) -> None:
    export = sub.add_parser("export", help="GeoPackage of layers, optionally within a comune, zona or bbox")
    export.add_argument("layers", nargs="*", help="layer slugs")
    export.add_argument("--comune", help="ISTAT code of a comune (6 digits)")
    export.add_argument("--zona", help="code of a zona omogenea")
    export.add_argument(
        "--bbox", nargs=4, type=float, metavar=("MINX", "MINY", "MAXX", "MAXY"), help="extent in EPSG:32632"
    )
    export.add_argument("--user", help="export as this user (default: anonymous, public layers only)")
    export.add_argument("--output", help="copy the GeoPackage here")
    export.add_argument("--job", type=int, help="run an export job already planned (background runner)")
    sub.add_parser("mapfile", help="write the mapfile of the public layers (var/ogc)")


def mapfile(stdout) -> None:
    try:
        path, sources = service.write_mapfile(service.visible_layers(None))
    except OgcError as err:
        raise CommandError(str(err)) from err
    stdout.write(f"{path} ({len(sources)} strati pubblici)")


def export(stdout, opts: dict) -> None:
    try:
        job = ExportJob.objects.get(pk=opts["job"]) if opts.get("job") else _plan(opts)
        job = jobs.run(job)
    except ExportJob.DoesNotExist as err:
        raise CommandError(f"job {opts['job']} non trovato") from err
    except ExportError as err:
        raise CommandError(str(err)) from err
    if job.status != ExportJob.Status.DONE:
        raise CommandError(job.message)
    if opts.get("output"):
        with storage.get(storage.EXPORTS).open(job.file, "rb") as src, open(opts["output"], "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
    stdout.write(f"{opts.get('output') or job.file}: {job.features_total} elementi, {job.size_bytes} byte")


def _plan(opts: dict) -> ExportJob:
    user = get_user_model().objects.get(username=opts["user"]) if opts.get("user") else None
    kind, key = "", ""
    if opts.get("comune"):
        kind, key = "comune", opts["comune"]
    elif opts.get("zona"):
        kind, key = "zona", opts["zona"]
    return jobs.plan(user, opts.get("layers") or [], kind, key, opts.get("bbox"))

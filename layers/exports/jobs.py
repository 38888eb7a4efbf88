"""Export actions: plan an export (check layers, area and limits), run it, or queue it for the worker.

Called alike by the API, the pages and ``manage.py layers export``. Limits are explicit settings
(``REMIX["EXPORT_*"]``): an export over the limit is refused with a message, never truncated.
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from procrastinate.contrib.django import app

from remix import conf as remix_conf
from remix import db, storage

from .. import conf
from ..models import Layer
from ..ogc.errors import LayerSourceError
from ..ogc.published import resolve
from . import gpkg
from .errors import ExportError, ExportRejected
from .gpkg_meta import now_iso
from .models import ExportJob

log = logging.getLogger(__name__)
# The export task (layers.tasks, which imports this module), deferred by its name.
TASK = "run_export"


def scratch_dir() -> Path:
    """Where this process writes a GeoPackage before it goes to the shared storage (its own disk)."""
    path = Path(remix_conf.WORK_DIR) / "exports"
    path.mkdir(parents=True, exist_ok=True)
    return path


def purge_expired() -> int:
    """Delete finished jobs older than ``REMIX["EXPORT_KEEP_HOURS"]`` and their files; returns how many."""
    cutoff = timezone.now() - timedelta(hours=conf.EXPORT_KEEP_HOURS)
    old = list(ExportJob.objects.filter(created_at__lt=cutoff).exclude(status=ExportJob.Status.RUNNING))
    for job in old:
        if job.file:
            storage.get(storage.EXPORTS).delete(job.file)
    ExportJob.objects.filter(pk__in=[job.pk for job in old]).delete()
    return len(old)


def plan(
    user, slugs: list[str], area_kind: str = "", area_key: str = "", bbox=None, bbox_crs: str = "EPSG:32632"
) -> ExportJob:
    """Create the job after checking everything: layers the user may see, the area, the limits."""
    purge_expired()
    slugs = list(dict.fromkeys(s for s in slugs if s))
    if not slugs:
        raise ExportRejected(_("Scegli almeno uno strato da esportare."))
    max_layers = conf.EXPORT_MAX_LAYERS
    if len(slugs) > max_layers:
        raise ExportRejected(_("Troppi strati: al massimo %(n)d per esportazione.") % {"n": max_layers})
    layers = {layer.slug: layer for layer in Layer.objects.visible_to(user).filter(slug__in=slugs)}
    missing = [s for s in slugs if s not in layers]
    if missing:
        raise ExportRejected(_("Strati inesistenti o non accessibili: %(names)s.") % {"names": ", ".join(missing)})
    # One transaction: a refused export leaves no row, an accepted one is committed before GDAL reads it.
    with transaction.atomic():
        job = ExportJob.objects.create(
            layers=slugs,
            area_kind=area_kind or ("bbox" if bbox else ""),
            area_key=area_key,
            created_by=user if user is not None and user.is_authenticated else None,
            token=secrets.token_urlsafe(24),
        )
        _set_area(job, area_kind, area_key, bbox, bbox_crs)
        _count(job, [_resolve(layers[s]) for s in slugs])
        limit = conf.EXPORT_MAX_FEATURES
        if job.features_total > limit:
            raise ExportRejected(
                _(
                    "L'esportazione conterrebbe %(n)s elementi, oltre il limite di %(limit)s: scegli "
                    "un'area più piccola o meno strati."
                )
                % {"n": job.features_total, "limit": limit}
            )
        job.background = job.features_total > conf.EXPORT_SYNC_MAX_FEATURES
        job.save(update_fields=["layer_counts", "features_total", "background", "area_label"])
    return job


def _count(job: ExportJob, sources) -> None:
    """Cheap upper bounds first (bounding boxes); exact counts only when the bound is over the limit."""
    area_id = job.pk if job.area_kind else None
    job.layer_counts = {src.slug: gpkg.count(src, area_id, exact=False) for src in sources}
    if area_id is not None and sum(job.layer_counts.values()) > conf.EXPORT_MAX_FEATURES:
        job.layer_counts = {src.slug: gpkg.count(src, area_id) for src in sources}
    job.features_total = sum(job.layer_counts.values())


def _resolve(layer):
    try:
        return resolve(layer, extent=False)
    except LayerSourceError as err:
        raise ExportRejected(
            _("Lo strato %(name)s non è esportabile: %(error)s") % {"name": layer.slug, "error": err}
        ) from err


def _set_area(job: ExportJob, kind: str, key: str, bbox, bbox_crs: str = "EPSG:32632") -> None:
    """Store the area geometry on the job row (declared tables only; values bound)."""
    if not kind and bbox is None:
        return
    if kind in ("", "bbox"):
        _set_bbox(job, bbox, bbox_crs)
        return
    area = conf.EXPORT_AREAS.get(kind)
    if area is None:
        raise ExportRejected(_("Tipo di area sconosciuto: %(kind)s.") % {"kind": kind})
    # Shrunk by 1 cm: features that only touch the border (the neighbours) stay out of the export.
    # Identifiers from settings.REMIX["EXPORT_AREAS"], values bound.
    sql = db.compose(
        "UPDATE layers_exportjob j SET area = ST_Multi(ST_Buffer(ST_Transform(s.geom, 32632), -0.01)),"
        " area_label = s.{label} FROM {table} s WHERE j.id = %(job)s AND s.{key} = %(key)s"
        " RETURNING j.area_label",
        table=db.relation(area["table"]),
        key=area["key"],
        label=area["label"],
    )
    row = db.fetch_one(sql, {"job": job.pk, "key": key})
    if row is None:
        raise ExportRejected(_("Area non trovata: %(kind)s %(key)s.") % {"kind": kind, "key": key})
    job.area_label = row[0]


BBOX_SRIDS = {"EPSG:32632": 32632, "EPSG:4326": 4326}  # the export's own CRS, and lon/lat from the web map


def _set_bbox(job: ExportJob, bbox, crs: str = "EPSG:32632") -> None:
    srid = BBOX_SRIDS.get(crs)
    if srid is None:
        raise ExportRejected(_("Sistema di riferimento dell'estensione non supportato: %(crs)s.") % {"crs": crs})
    try:
        minx, miny, maxx, maxy = (float(v) for v in bbox)
    except (TypeError, ValueError) as err:
        raise ExportRejected(_("Estensione non valida: servono 4 numeri (EPSG:32632).")) from err
    if not (minx < maxx and miny < maxy):
        raise ExportRejected(_("Estensione non valida: servono 4 numeri (EPSG:32632)."))
    # Densified before reprojecting: the lon/lat rectangle's edges are curves in EPSG:32632.
    minx, miny, maxx, maxy = db.fetch_one(
        "UPDATE layers_exportjob SET area = ST_Multi(ST_Envelope(ST_Transform(ST_Segmentize("
        "ST_MakeEnvelope(%(minx)s, %(miny)s, %(maxx)s, %(maxy)s, %(srid)s), %(segment)s), 32632))) WHERE id = %(job)s"
        " RETURNING ST_XMin(area), ST_YMin(area), ST_XMax(area), ST_YMax(area)",
        {
            "minx": minx,
            "miny": miny,
            "maxx": maxx,
            "maxy": maxy,
            "srid": srid,
            "segment": (maxx - minx) / 16,
            "job": job.pk,
        },
    )
    job.area_label = f"{minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f} (EPSG:32632)"


def run(job: ExportJob) -> ExportJob:
    """Write the job's GeoPackage, recording progress; on failure the job says why and no file is left."""
    job.status, job.message = ExportJob.Status.RUNNING, ""
    job.save(update_fields=["status", "message"])
    path = _path(job)
    path.unlink(missing_ok=True)  # what an interrupted earlier attempt wrote
    try:
        items = _items(job)
        written = gpkg.write(path, items, job.pk if job.area_kind else None, _context(job), _progress(job, items))
    except ExportError as err:
        path.unlink(missing_ok=True)
        job.status, job.message = ExportJob.Status.FAILED, str(err)
        log.warning("export %s failed: %s", job.pk, err)
    else:
        try:  # into the storage every app server reads (remix.storage), then off this disk
            files = storage.get(storage.EXPORTS)
            files.delete(path.name)
            job.file = storage.save(storage.EXPORTS, path.name, path)
            job.size_bytes = path.stat().st_size
        finally:
            path.unlink(missing_ok=True)
        job.status = ExportJob.Status.DONE
        job.layer_counts = {item.source.slug: item.features for item in written}
        job.features_total = job.features_done = sum(job.layer_counts.values())
    job.finished_at = timezone.now()
    # Never a full save: the area geometry was written by SQL and is not loaded on this instance.
    job.save(
        update_fields=[
            "status",
            "message",
            "file",
            "size_bytes",
            "layer_counts",
            "features_total",
            "features_done",
            "finished_at",
        ]
    )
    return job


def _path(job: ExportJob) -> Path:
    return scratch_dir() / f"remix-{job.pk}-{job.token[:8]}.gpkg"


def _items(job: ExportJob) -> list[gpkg.LayerExport]:
    by_slug = {layer.slug: layer for layer in Layer.objects.filter(slug__in=job.layers)}
    area_id = job.pk if job.area_kind else None
    items = []
    for slug in job.layers:
        src = _resolve(by_slug[slug])
        counted = job.layer_counts.get(slug)
        items.append(gpkg.LayerExport(src, counted if counted is not None else gpkg.count(src, area_id)))
    return items


def _context(job: ExportJob) -> dict:
    extent = None
    if job.area_kind:
        extent = db.fetch_one(
            "SELECT ST_XMin(area), ST_YMin(area), ST_XMax(area), ST_YMax(area) FROM layers_exportjob WHERE id = %s",
            [job.pk],
        )
    return {"area_label": job.area_label, "exported_at": now_iso(), "area_extent": extent}


def _progress(job: ExportJob, items):
    before = {}
    done = 0
    for item in items:
        before[item.source.slug] = done
        done += item.features
    last = [0.0]

    def report(slug: str, written: int) -> None:
        now = time.monotonic()
        if now - last[0] < 1.0:
            return
        last[0] = now
        job.features_done = before[slug] + written
        ExportJob.objects.filter(pk=job.pk).update(features_done=job.features_done)

    return report


def start_background(job: ExportJob) -> None:
    """Queue the export for the worker (queue ``exports``); the job page and the API report its progress."""
    lock = f"export:{job.pk}"
    app.configure_task(TASK, allow_unknown=False, queueing_lock=lock, lock=lock).defer(export_id=job.pk)


def run_queued(export_id: int) -> ExportJob | None:
    """The background job's body: run the export unless it already ended (a resumed job starts afresh)."""
    job = (
        ExportJob.objects.defer("area")
        .filter(pk=export_id, status__in=[ExportJob.Status.QUEUED, ExportJob.Status.RUNNING])
        .first()
    )
    return run(job) if job is not None else None


def give_up(export_id: int, reason: str) -> None:
    """Fail an export that cannot go on; its partial file is deleted."""
    job = ExportJob.objects.defer("area").filter(pk=export_id).first()
    if job is None or job.status not in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING):
        return
    _path(job).unlink(missing_ok=True)
    ExportJob.objects.filter(pk=export_id).update(
        status=ExportJob.Status.FAILED, message=reason, finished_at=timezone.now()
    )


def orphans(grace: timedelta) -> tuple[list[int], list[int]]:
    """Background exports queued or running with no job; an export run inside a request (small) that
    is still "running" a quarter of an hour later lost its web worker."""
    cutoff = timezone.now() - grace
    active = [ExportJob.Status.QUEUED, ExportJob.Status.RUNNING]
    queued = ExportJob.objects.filter(background=True, status=ExportJob.Status.QUEUED, created_at__lt=cutoff)
    running = ExportJob.objects.filter(
        background=True, status=ExportJob.Status.RUNNING, created_at__lt=cutoff
    ) | ExportJob.objects.filter(
        background=False, status__in=active, created_at__lt=timezone.now() - max(grace, timedelta(minutes=15))
    )
    return list(queued.values_list("pk", flat=True)), list(running.values_list("pk", flat=True))


def _database_url() -> str:
    """This process's database as a URL (the benchmarks hand it to the processes they start)."""
    cfg = connection.settings_dict
    auth = quote(cfg.get("USER") or "", safe="")
    if cfg.get("PASSWORD"):
        auth += ":" + quote(cfg["PASSWORD"], safe="")
    host = f"{cfg.get('HOST') or ''}:{cfg['PORT']}" if cfg.get("PORT") else cfg.get("HOST") or ""
    return f"postgresql://{auth}@{host}/{quote(cfg['NAME'], safe='')}"


def area_choices(kind: str) -> list[tuple[str, str]]:
    """(key, label) of the declared areas of one kind (comuni, zone omogenee), for the export form."""
    area = conf.EXPORT_AREAS.get(kind)
    if area is None:
        return []
    query = db.compose(
        "SELECT {key}, {label} FROM {table} ORDER BY {label}",
        key=area["key"],
        label=area["label"],
        table=db.relation(area["table"]),
    )
    return [(str(k), str(v)) for k, v in db.fetch_all(query)]

"""Thin views of the GeoPackage exports: the form, the job's progress page, the download, and the JSON API."""

from __future__ import annotations

import hashlib

from django.core.cache import caches
from django.db import DatabaseError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from remix import storage

from ..models import Layer
from . import jobs
from .errors import ExportError
from .models import ExportJob


def _request_args(data) -> tuple[list[str], str, str, list | None]:
    layers = data.getlist("layers") if hasattr(data, "getlist") else list(data.get("layers") or [])
    kind = data.get("area_kind") or ""
    key = data.get("comune") if kind == "comune" else data.get("zona") if kind == "zona" else ""
    bbox = None
    if kind == "bbox":
        raw = data.get("bbox") or ""
        bbox = raw.split(",") if isinstance(raw, str) else raw
    return layers, kind, key or data.get("area_key") or "", bbox


def _start(request, data) -> ExportJob:
    """Plan the export; run it now if small, else in the background. An identical request (same
    layers at the same data versions, same area, same visibility) gets the job already made."""
    layers, kind, key, bbox = _request_args(data)
    crs = data.get("bbox_crs") or "EPSG:32632"
    fingerprint = _fingerprint(request.user, layers, kind, key, bbox, crs)
    job = _same_job(fingerprint)
    if job is not None:
        return job
    # The web map sends its extent in lon/lat (bbox_crs=EPSG:4326); scripts keep EPSG:32632.
    job = jobs.plan(request.user, layers, kind, key, bbox, bbox_crs=crs)
    caches["shared"].set(fingerprint, (job.pk, job.token), timeout=SAME_JOB_SECONDS)
    if job.background:
        jobs.start_background(job)
    else:
        jobs.run(job)
    return job


SAME_JOB_SECONDS = 3600  # an identical request within the hour is served by the same job


def _fingerprint(user, layers, kind, key, bbox, crs) -> str:
    slugs = sorted({s for s in layers if s})
    versions = list(
        Layer.objects.filter(slug__in=slugs).order_by("slug").values_list("slug", "data_version", "updated_at")
    )
    who = f"user:{user.pk}" if user is not None and user.is_authenticated else "public"
    text = repr((who, versions, kind, key, [str(v).strip() for v in bbox] if bbox else None, crs))
    return "export:" + hashlib.sha256(text.encode()).hexdigest()


def _same_job(fingerprint: str) -> ExportJob | None:
    try:
        pk, token = caches["shared"].get(fingerprint) or (None, None)
    except DatabaseError:
        return None
    job = ExportJob.objects.filter(pk=pk, token=token).exclude(status=ExportJob.Status.FAILED).first() if pk else None
    stored = job is not None and job.file and storage.get(storage.EXPORTS).exists(job.file)
    if job is not None and job.status == ExportJob.Status.DONE and not stored:
        return None  # its file was purged: make a new one
    return job


@require_http_methods(["GET", "POST"])
def export_form(request):
    """Choose layers and an area (comune, zona omogenea, extent), get a GeoPackage."""
    error = None
    if request.method == "POST":
        try:
            job = _start(request, request.POST)
        except ExportError as err:
            error = str(err)
        else:
            return redirect("exports:job", pk=job.pk, token=job.token)
    return render(
        request,
        "layers/export_form.html",
        {
            "layers": Layer.objects.visible_to(request.user).filter(kind="vector"),
            "chosen": request.POST.getlist("layers") or request.GET.getlist("layer"),
            "comuni": jobs.area_choices("comune"),
            "zone": jobs.area_choices("zona"),
            "error": error,
        },
        status=400 if error else 200,
    )


def _job(pk: int, token: str) -> ExportJob:
    job = get_object_or_404(ExportJob, pk=pk)
    if not token or token != job.token:
        raise Http404
    return job


@require_GET
def job_page(request, pk: int, token: str):
    """Progress of an export (refreshes itself while running) and its download link when done."""
    return render(request, "layers/export_job.html", {"job": _job(pk, token)})


@require_GET
def download(request, pk: int, token: str):
    job = _job(pk, token)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    name = f"remix-{job.area_label or 'export'}-{job.pk}.gpkg".replace(" ", "_").replace("/", "_")
    return FileResponse(
        storage.get(storage.EXPORTS).open(job.file, "rb"),
        as_attachment=True,
        filename=name,  # noqa: SIM115 - closed by Django
        content_type="application/geopackage+sqlite3",
    )


def job_json(request, job: ExportJob) -> dict:
    urls = {"status_url": request.build_absolute_uri(reverse("exports_api:job", args=[job.pk, job.token]))}
    if job.status == ExportJob.Status.DONE:
        urls["download_url"] = request.build_absolute_uri(reverse("exports:download", args=[job.pk, job.token]))
    return {
        "id": job.pk,
        "status": job.status,
        "progress": job.progress,
        "features_total": job.features_total,
        "features_done": job.features_done,
        "background": job.background,
        "layers": job.layers,
        "area": job.area_label,
        "message": job.message,
        "size_bytes": job.size_bytes,
        **urls,
    }


@require_http_methods(["POST"])
def api_create(request):
    """POST layers=…&area_kind=comune|zona|bbox&comune=…|zona=…|bbox=minx,miny,maxx,maxy[&bbox_crs=EPSG:4326]
    → the job (JSON)."""
    try:
        job = _start(request, request.POST)
    except ExportError as err:
        return JsonResponse({"error": str(err)}, status=400)
    return JsonResponse(job_json(request, job), status=202 if job.background else 201)


@require_GET
def api_job(request, pk: int, token: str):
    return JsonResponse(job_json(request, _job(pk, token)))

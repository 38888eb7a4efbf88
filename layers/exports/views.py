"""Thin views of the GeoPackage exports: the form, the job's progress page, the download, and the JSON API."""

from __future__ import annotations

from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

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
    """Plan the export; run it now if small, else in the background."""
    layers, kind, key, bbox = _request_args(data)
    job = jobs.plan(request.user, layers, kind, key, bbox)
    if job.background:
        jobs.start_background(job)
    else:
        jobs.run(job)
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
    return render(request, "layers/export_form.html", {
        "layers": Layer.objects.visible_to(request.user).filter(kind="vector"),
        "chosen": request.POST.getlist("layers") or request.GET.getlist("layer"),
        "comuni": jobs.area_choices("comune"),
        "zone": jobs.area_choices("zona"),
        "error": error,
    }, status=400 if error else 200)


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
    return FileResponse(open(job.file, "rb"), as_attachment=True, filename=name,  # noqa: SIM115 - closed by Django
                        content_type="application/geopackage+sqlite3")


def job_json(request, job: ExportJob) -> dict:
    urls = {"status_url": request.build_absolute_uri(reverse("exports_api:job", args=[job.pk, job.token]))}
    if job.status == ExportJob.Status.DONE:
        urls["download_url"] = request.build_absolute_uri(reverse("exports:download", args=[job.pk, job.token]))
    return {"id": job.pk, "status": job.status, "progress": job.progress, "features_total": job.features_total,
            "features_done": job.features_done, "background": job.background, "layers": job.layers,
            "area": job.area_label, "message": job.message, "size_bytes": job.size_bytes, **urls}


@require_http_methods(["POST"])
def api_create(request):
    """POST layers=…&area_kind=comune|zona|bbox&comune=…|zona=…|bbox=minx,miny,maxx,maxy → the job (JSON)."""
    try:
        job = _start(request, request.POST)
    except ExportError as err:
        return JsonResponse({"error": str(err)}, status=400)
    return JsonResponse(job_json(request, job), status=202 if job.background else 201)


@require_GET
def api_job(request, pk: int, token: str):
    return JsonResponse(job_json(request, _job(pk, token)))



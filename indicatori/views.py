"""Atlas pages: index, sheet (HTML), its map (PNG from the WMS), its PDF and a zona's zip."""

from __future__ import annotations

import threading

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from . import atlas

# One PDF rendering at a time per process: a burst of requests never multiplies the work.
_render_lock = threading.Lock()


def _lang() -> str:
    return "en" if (get_language() or "it").startswith("en") else "it"


def _area(slug: str) -> atlas.Area:
    try:
        return atlas.get_area(slug)
    except atlas.UnknownArea:
        raise Http404(slug) from None


@require_GET
def index(request):
    return render(request, "indicatori/atlante_index.html", {"areas": atlas.all_areas()})


@require_GET
def sheet(request, area: str):
    found = _area(area)
    ctx = atlas.context(found, _lang(), reverse("atlante:map", args=[found.slug]))
    return render(request, "indicatori/atlante_sheet.html", ctx)


@require_GET
def map_png(request, area: str):
    response = HttpResponse(atlas.map_png(_area(area)), content_type="image/png")
    response["Cache-Control"] = "public, max-age=300"
    return response


@require_GET
def pdf(request, area: str):
    found = _area(area)
    with _render_lock:
        path = atlas.render_pdf(found, _lang())
    return FileResponse(open(path, "rb"), content_type="application/pdf",  # noqa: SIM115 - FileResponse closes it
                        filename=f"atlante-{found.slug}-{_lang()}.pdf")


@require_GET
def zona_zip(request, area: str):
    found = _area(area)
    if found.level != "zona":
        raise Http404(area)
    with _render_lock:
        data = atlas.zona_zip(found, _lang())
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="atlante-{found.slug}-{_lang()}.zip"'
    return response

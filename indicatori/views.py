"""Atlas pages: index, sheet (HTML), its map (PNG from the WMS), its PDF and a zona's zip.

A PDF or zip whose sheets are built (cached by data version) is served at once; a comune's single
sheet is rendered in the request (about two seconds); anything larger is queued to the job system
(:mod:`indicatori.atlas_jobs`) and the answer is a 202 page "in preparazione" with the progress,
which reloads itself — a web request never renders a zona's or the whole atlas's sheets.
"""

from __future__ import annotations

import threading

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from . import atlas, atlas_jobs

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


RETRY_AFTER_S = 10


def _pending(request, build, area: atlas.Area, what: str):
    """202: the build is queued or running; the page shows its progress and reloads itself."""
    response = render(
        request,
        "indicatori/atlante_pending.html",
        {"build": build, "area": area, "what": what, "retry_after": RETRY_AFTER_S},
        status=202,
    )
    response["Retry-After"] = str(RETRY_AFTER_S)
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def pdf(request, area: str):
    found = _area(area)
    path = atlas.pdf_path(found, _lang())
    if not path.exists():
        if found.level != "comune":
            return _pending(request, atlas_jobs.request(f"area:{found.slug}", _lang()), found, "pdf")
        with _render_lock:
            path = atlas.render_pdf(found, _lang())
    return FileResponse(
        open(path, "rb"),
        content_type="application/pdf",  # noqa: SIM115 - FileResponse closes it
        filename=f"atlante-{found.slug}-{_lang()}.pdf",
    )


@require_GET
def zona_zip(request, area: str):
    found = _area(area)
    if found.level != "zona":
        raise Http404(area)
    scope = f"zona:{found.code}"
    try:  # only zips sheets already built; any missing one (or a reload meanwhile) queues the build
        data = atlas.zona_zip(found, _lang(), built_only=True)
    except FileNotFoundError:
        return _pending(request, atlas_jobs.request(scope, _lang()), found, "zip")
    response = HttpResponse(data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="atlante-{found.slug}-{_lang()}.zip"'
    return response

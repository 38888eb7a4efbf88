"""Pages and JSON of the incontri app: thin edges over matching, zonal, context and bilancio."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from mappature.models import PgtAtto
from mappature.opportunities import OPPORTUNITY_BY_CODE

from . import bilancio, context, exports, freshness, matching, permissions, zonal
from .errors import IncontriError
from .forms import DrawnProposalForm, IdeaForm
from .models import ProjectIdea

MAX_LIMIT = 100


def _lang(request) -> str:
    lang = request.GET.get("lang") or get_language() or "it"
    return "en" if lang.startswith("en") else "it"


def _limit(request, default=10) -> int:
    try:
        return max(1, min(MAX_LIMIT, int(request.GET.get("limit", default))))
    except ValueError:
        return default


def _json(data, status=200):
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


# --- API ---------------------------------------------------------------------------------------


@require_GET
def api_realizzazione_areas(request, pk: int):
    freshness.ensure()
    project = matching.realizzazione(pk)
    if project is None:
        raise Http404
    return _json(
        {
            "project": matching.project_json(project),
            "matches": matching.best_areas(
                project, limit=_limit(request), zona=request.GET.get("zona") or None, lang=_lang(request)
            ),
        }
    )


@require_GET
def api_realizzazioni(request):
    return _json({"realizzazioni": matching.realizzazioni_index()})


@require_GET
def api_ideas(request):
    """The project ideas the user may see (their comune's, or all for CMM staff; none when anonymous)."""
    return _json(
        {
            "ideas": [
                {
                    "id": i.pk,
                    "title": i.title,
                    "comune": i.comune.name,
                    "istat_code": i.comune.istat_code,
                    "domains": i.domains,
                }
                for i in permissions.visible_ideas(request.user)
            ]
        }
    )


@require_GET
def api_idea_areas(request, pk: int):
    freshness.ensure()
    obj = get_object_or_404(permissions.visible_ideas(request.user), pk=pk)
    project = matching.idea(obj)
    return _json(
        {
            "project": matching.project_json(project),
            "matches": matching.best_areas(project, limit=_limit(request), lang=_lang(request)),
        }
    )


@require_GET
def api_area(request, kind: str, pk: int):
    freshness.ensure()
    if kind not in OPPORTUNITY_BY_CODE:
        raise Http404
    result = matching.fitting_projects(
        kind, pk, ideas=permissions.visible_ideas(request.user), limit=_limit(request), lang=_lang(request)
    )
    if result is None:
        raise Http404
    result["statistics"] = zonal.stats_for(kind, str(pk))
    return _json(result)


@require_GET
def api_area_at(request):
    """The opportunity area under a point (lon/lat), for the map panel's click."""
    try:
        lon, lat = float(request.GET["lon"]), float(request.GET["lat"])
    except (KeyError, ValueError):
        return _json({"error": _("Parametri lon e lat obbligatori e numerici.")}, 400)
    found = matching.area_at(lon, lat)
    if found is None:
        return _json({"area": None})
    return api_area(request, *found)


_RANKINGS: dict = {}  # (zona, limit, lang, data versions) -> (time, ranking): anonymous reloads cost nothing
RANKING_TTL_S = 300


@require_GET
def api_zona_ranking(request, code: str):
    import time

    from layers.models import Layer

    freshness.ensure()
    stamp = tuple(Layer.objects.order_by("slug").values_list("slug", "data_version"))
    key = (code, _limit(request, 50), _lang(request), stamp)
    hit = _RANKINGS.get(key)
    if hit is None or time.monotonic() - hit[0] > RANKING_TTL_S:
        if len(_RANKINGS) > 64:
            _RANKINGS.clear()
        hit = _RANKINGS[key] = (time.monotonic(), matching.zona_ranking(code, limit=key[1], lang=key[2]))
    return _json({"zona": code, "ranking": hit[1]})


@require_GET
def api_statistics(request, area_set: str, area_id: str):
    freshness.ensure()
    if area_set not in {s.code for s in zonal.area_sets()}:
        raise Http404
    return _json({"area_set": area_set, "area_id": area_id, "statistics": zonal.stats_for(area_set, area_id)})


# An identify popup lists at most a few dozen areas; more ids in one request are refused (bounded work).
MAX_STATISTICS_IDS = 100


def identify_statistics(results: list[dict]) -> None:
    """The stored statistics of the areas an identify answer lists (``/api/identifica?…&statistics=1``,
    registered in ``mappature.api_views.IDENTIFY_EXTRAS``): each result of a layer that is a zonal-statistics
    area set gets ``statistics``, area id → what ``/api/incontri/statistiche/<set>?ids=…`` answers for it,
    so the popup needs no request of its own. One freshness check per answer, the statistics of all its
    area sets read at once (``zonal.stats_for_sets``)."""
    sets = zonal.sets_by_layer()
    wanted = [r for r in results if r.get("layer") in sets and r.get("features")]
    if not wanted:
        return
    freshness.ensure()
    existing = zonal.area_sets({sets[r["layer"]] for r in wanted})  # optional sets may be missing
    codes = {s.code for s in existing}
    ids_by_set: dict[str, list[str]] = {}
    for result in wanted:
        if sets[result["layer"]] in codes:
            ids = [str(f["id"]) for f in result["features"] if f.get("id") is not None][:MAX_STATISTICS_IDS]
            ids_by_set.setdefault(sets[result["layer"]], []).extend(ids)
    by_set = zonal.stats_for_sets(ids_by_set, existing) if ids_by_set else {}
    for result in wanted:
        if sets[result["layer"]] in by_set:
            ids = {str(f["id"]) for f in result["features"]}
            result["statistics"] = {k: v for k, v in by_set[sets[result["layer"]]].items() if k in ids}


@require_GET
def api_statistics_many(request, area_set: str):
    """The statistics of several areas of one set (``?ids=1,2,3``): what an identify popup lists, in one request."""
    freshness.ensure()
    if area_set not in {s.code for s in zonal.area_sets()}:
        raise Http404
    ids = list(dict.fromkeys(i.strip() for i in request.GET.get("ids", "").split(",") if i.strip()))
    if not ids or len(ids) > MAX_STATISTICS_IDS:
        message = _("Indicare da 1 a %(n)s identificativi di aree (ids=1,2,3).") % {"n": MAX_STATISTICS_IDS}
        return _json({"error": message}, status=400)
    return _json({"area_set": area_set, "statistics": zonal.stats_for_many(area_set, ids)})


@require_GET
def api_statistics_export(request, area_set: str, fmt: str):
    """Every stored statistic of an area set as GeoPackage (with the areas) or CSV."""
    freshness.ensure()
    sets = {s.code: s for s in zonal.area_sets()}
    if area_set not in sets or fmt not in ("gpkg", "csv"):
        raise Http404
    if fmt == "gpkg":
        response = HttpResponse(exports.zonal_gpkg(sets[area_set]), content_type="application/geopackage+sqlite3")
    else:
        import csv
        import io

        columns, rows, _wkb = exports.zonal_rows(sets[area_set])
        buf = io.StringIO()
        writer = csv.DictWriter(buf, columns)
        writer.writeheader()
        writer.writerows(rows)
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="remix-statistiche-{area_set}.{fmt}"'
    return response


@require_GET
def api_context(request, kind: str, pk: int):
    facts = context.for_area(kind, pk)
    if facts is None:
        raise Http404
    return _json({"kind": kind, "id": pk, "context": facts})


@require_GET
def api_realizzazione_gpkg(request, pk: int):
    freshness.ensure()
    project = matching.realizzazione(pk)
    if project is None:
        raise Http404
    matches = matching.best_areas(project, limit=_limit(request, 50), lang=_lang(request))
    data = exports.matches_gpkg(project, matches)
    response = HttpResponse(data, content_type="application/geopackage+sqlite3")
    response["Content-Disposition"] = f'attachment; filename="remix-incontri-realizzazione-{pk}.gpkg"'
    return response


def _proposal(request) -> bilancio.Proposal:
    """The proposal of a Bilancio request: ?feature=<PGT feature id>, or a drawn polygon (POST)."""
    if request.method == "POST":
        if not request.user.is_authenticated:
            raise PermissionDenied
        form = DrawnProposalForm(request.POST, lang=_lang(request))
        if not form.is_valid():
            raise IncontriError(
                "; ".join(
                    f"{form.fields[k].label}: {' '.join(v)}" if k in form.fields else " ".join(v)
                    for k, v in form.errors.items()
                )
            )
        d = form.cleaned_data
        return bilancio.from_drawn(d["geometry"], d["function"], d.get("surface_m2"), d.get("title") or "")
    try:
        feature = int(request.GET.get("feature", ""))
    except ValueError as err:
        raise Http404 from err
    proposal = bilancio.from_pgt_feature(feature)
    if proposal is None:
        raise Http404
    atto = PgtAtto.objects.select_related("comune").get(pk=proposal.source["atto"])
    if not permissions.may_see_atto(request.user, atto):
        raise Http404
    return proposal


@require_http_methods(["GET", "POST"])
def api_bilancio(request):
    try:
        report = bilancio.compute(_proposal(request), _lang(request))
    except IncontriError as err:
        return _json({"error": str(err)}, 400)
    return _json(report)


# --- pages -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def bilancio_page(request):
    form = DrawnProposalForm(lang=_lang(request))
    report, error = None, None
    if request.method == "POST" or "feature" in request.GET:
        try:
            report = bilancio.compute(_proposal(request), _lang(request))
        except IncontriError as err:
            error = str(err)
            form = DrawnProposalForm(request.POST, lang=_lang(request))
    return render(
        request,
        "incontri/bilancio.html",
        {"report": report, "form": form, "error": error, "feature": request.GET.get("feature", "")},
    )


@require_GET
def bilancio_pdf(request):
    from weasyprint import HTML

    report = bilancio.compute(_proposal(request), _lang(request))
    html = render_to_string("incontri/bilancio_print.html", {"report": report}, request=request)
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bilancio-diffusivita-{request.GET.get("feature")}.pdf"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def ideas(request):
    comuni = permissions.proposal_comuni(request.user)
    form = IdeaForm(request.POST or None, comuni=comuni)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        if not permissions.may_propose(request.user, d["comune"].istat_code):
            raise PermissionDenied
        obj = ProjectIdea.objects.create(
            comune=d["comune"],
            title=d["title"],
            domains=d["domains"],
            expected_cost_eur=d.get("expected_cost_eur"),
            description=d.get("description", ""),
            geom=form.point(),
            created_by=request.user,
        )
        return redirect("incontri:idea", pk=obj.pk)
    return render(
        request,
        "incontri/ideas.html",
        {"ideas": permissions.visible_ideas(request.user), "form": form, "staff": permissions.is_staff(request.user)},
    )


@login_required
@require_GET
def idea_detail(request, pk: int):
    freshness.ensure()
    obj = get_object_or_404(permissions.visible_ideas(request.user), pk=pk)
    matches = matching.best_areas(matching.idea(obj), limit=10, lang=_lang(request))
    return render(request, "incontri/idea.html", {"idea": obj, "matches": matches})


@login_required
@require_GET
def atto_flags(request, pk: int):
    """For CMM staff reviewing a delivery: the ambiti di trasformazione likely of supra-municipal relevance."""
    if not permissions.is_staff(request.user):
        raise PermissionDenied
    atto = get_object_or_404(PgtAtto.objects.select_related("comune"), pk=pk)
    return render(
        request,
        "incontri/atto_flags.html",
        {"atto": atto, "flagged": bilancio.flagged_for_atto(atto.pk, _lang(request))},
    )


REVIEW_LIMIT = 30  # ambiti examined inline in the delivery review (the full list is on the act's page)


def review_section(request, consegna) -> str:
    """For CMM staff in the delivery review: the draft's ambiti over a threshold with the comuni to involve
    (registered in consegne.extensions by IncontriConfig.ready)."""
    atto = consegna.atto
    if atto is None or not permissions.is_staff(request.user):
        return ""
    total = bilancio.ambiti_count(atto.pk)
    return render_to_string(
        "incontri/_review_flags.html",
        {
            "atto": atto,
            "flagged": bilancio.flagged_for_atto(atto.pk, _lang(request), limit=REVIEW_LIMIT),
            "examined": min(REVIEW_LIMIT, total),
            "total": total,
        },
        request=request,
    )

"""JSON/CSV API of the indicators (/api/indicatori/…)."""

from __future__ import annotations

import csv
import functools
import io

from django.http import HttpResponse, JsonResponse
from django.utils import translation
from django.views.decorators.http import require_GET

from . import queries
from .compute import is_synthetic
from .declarations import all_indicators


def _lang(request) -> str:
    wanted = request.GET.get("lang") or translation.get_language_from_request(request, check_path=False)
    return "en" if (wanted or "").startswith("en") else "it"


def api(view):
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        lang = _lang(request)
        with translation.override(lang):
            try:
                return view(request, *args, lang=lang, **kwargs)
            except queries.IndicatorError as err:
                return JsonResponse({"error": str(err)}, status=err.status)

    return require_GET(wrapper)


def describe(decl, lang: str) -> dict:
    en = lang == "en"
    return {
        "code": decl.code,
        "title": decl.title_en if en else decl.title_it,
        "description": decl.description_en if en else decl.description_it,
        "notes": decl.notes_en if en else decl.notes_it,
        "theme": decl.theme,
        "unit": decl.unit,
        "period_kind": decl.period,
        "higher_is_better": decl.higher_is_better,
        "levels": list(decl.levels),
        "inputs": list(decl.inputs),
        "sources": list(decl.sources),
        "aggregate": decl.aggregate,
        "params": decl.params,
        "synthetic": is_synthetic(decl),
        "key": decl.key,
        "periods": queries.periods(decl.code),
        "periods_by_level": queries.periods_by_level(decl.code),
    }


@api
def indicator_list(request, lang):
    return JsonResponse({"indicators": [describe(d, lang) for d in all_indicators().values()]})


@api
def indicator_detail(request, code, lang):
    return JsonResponse(describe(queries.get_decl(code), lang))


@api
def indicator_values(request, code, lang):
    decl = queries.get_decl(code)
    level = request.GET.get("level", "comune")
    period, rows = queries.values(code, level, request.GET.get("period") or None)
    if request.GET.get("format") == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(["indicator", "unit", "level", "area_code", "area_name", "period", "value", "run"])
        for v in rows:
            writer.writerow(
                [code, decl.unit, v.level, v.code, v.name, v.period, "" if v.value is None else repr(v.value), v.run]
            )
        writer.writerow([])
        writer.writerow(["# " + "; ".join(decl.sources)])
        response = HttpResponse(buf.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{code}_{level}_{period or "na"}.csv"'
        return response
    return JsonResponse(
        {
            "indicator": describe(decl, lang),
            "level": level,
            "period": period,
            "values": [{"code": v.code, "name": v.name, "value": v.value, "run": v.run} for v in rows],
        }
    )


@api
def areas(request, lang):
    response = HttpResponse(
        queries.areas_geojson(request.GET.get("level", "comune")), content_type="application/geo+json"
    )
    response["Cache-Control"] = "public, max-age=300"
    return response


@api
def indicator_series(request, code, lang):
    level, area = queries.parse_area(request.GET.get("area", ""))
    return JsonResponse(queries.series(code, level, area))


@api
def indicator_history(request, code, lang):
    level, area = queries.parse_area(request.GET.get("area", ""))
    return JsonResponse({"indicator": code, "level": level, "area": area, "values": queries.history(code, level, area)})


def openapi_paths(param, get) -> dict:
    code = param("code", "Indicator code (see /indicatori)", where="path", required=True)
    area = param("area", "comune:<ISTAT> | zona:<code> | nil:<number> | cmm", required=True)
    return {
        "/indicatori": get("Indicators: titles, unit, levels, periods, sources, parameters", []),
        "/indicatori/aree.geojson": get(
            "Areas of a level (comune | zona | nil) as GeoJSON, simplified for maps",
            [param("level", "comune | zona | nil")],
            "application/geo+json",
        ),
        "/indicatori/{code}": get("One indicator's declaration and available periods", [code]),
        "/indicatori/{code}/valori": get(
            "Current values for a level and period (format=csv to download)",
            [
                code,
                param("level", "comune | zona | cmm | nil (default comune)"),
                param("period", "A period listed by the indicator (default the latest)"),
                param("format", "csv"),
            ],
        ),
        "/indicatori/{code}/serie": get("Time series of an area with its zona and CMM as references", [code, area]),
        "/indicatori/{code}/storia": get(
            "Every value computed for an area, with the input dataset versions", [code, area]
        ),
    }

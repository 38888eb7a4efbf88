"""Catalogue pages and their small JSON API: thin edges over layers.catalogue, metadata and source_data."""

import csv
import hashlib
import io
from datetime import datetime

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import catalogue, conf, source_data
from .metadata import rndt_record
from .models import Layer
from .rndt_xml import rndt_xml


def _visible_layer(request, slug: str) -> Layer:
    # A layer the user may not see answers exactly like a layer that does not exist.
    layer = Layer.objects.visible_to(request.user).defer("declared").filter(slug=slug).first()
    if layer is None:
        raise Http404("Strato non trovato")
    return layer


def _lang() -> str:
    return "en" if (get_language() or "it").startswith("en") else "it"


def _query(request) -> catalogue.Query:
    theme = request.GET.get("tema", "")
    return catalogue.Query(
        text=request.GET.get("q", "").strip()[:200],
        theme=theme if theme in Layer.Theme.values else "",
        place=request.GET.get("comune", "").strip()[:6],
    )


@require_GET
def catalogue_page(request):
    query = _query(request)
    provider = catalogue.places()
    layers = catalogue.search(request.user, query, listing=True)
    context = {
        "query": query,
        "layers": layers,
        "results_key": _results_key(layers, _lang()),
        "themes": Layer.Theme.choices,
        "place_options": _options(provider.choices() if provider else [], query.place),
        "lang": _lang(),
    }
    return render(request, "layers/catalogue.html", context)


def _results_key(layers, lang: str) -> str:
    """What the rendered result list depends on (every field it shows), hashed: its fragment cache key."""
    shown = [
        (x.slug, x.title_it, x.title_en, x.abstract_it, x.abstract_en, x.theme, x.kind, x.synthetic, x.visibility)
        for x in layers
    ]
    return hashlib.sha1(repr((lang, shown)).encode(), usedforsecurity=False).hexdigest()


def _options(choices, selected: str):
    """The <option>s of a long select (133 comuni), escaped: a template loop over them was half the page's time."""
    mark = mark_safe(" selected")  # noqa: S308 - a constant
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((code, mark if code == selected else "", name) for code, name in choices),
    )


@require_GET
def catalogue_json(request):
    """The catalogue search as JSON (same criteria as the page: q, tema, comune)."""
    lang = _lang()
    layers = catalogue.search(request.user, _query(request))
    return JsonResponse({"layers": [catalogue.summary(layer, lang) for layer in layers]})


@require_GET
def layer_page(request, slug: str):
    layer = _visible_layer(request, slug)
    lang = _lang()
    links = catalogue.links(layer, request)
    record = rndt_record(layer, lang=lang, distributions=links)
    classification = layer.classification()
    context = {
        "layer": layer,
        "lang": lang,
        "record": record,
        "versions": _versions(record["lineage"]["versions"]),
        "legend": classification.legend(lang),
        "preview_style": classification.as_json(lang),
        "attributes": [{"name": a["name"], "label": a.get(f"label_{lang}") or a["label_it"]} for a in layer.attributes],
        "services": [link for link in links if link.get("kind") == "service"],
        "downloads": [link for link in links if link.get("kind") == "download"],
        "preview_limit": conf.PREVIEW_MAX_FEATURES,
    }
    return render(request, "layers/layer.html", context)


def _versions(versions: list[dict]) -> list[dict]:
    """The lineage entries as the versions table shows them: event, comune name, rows and the local time.

    ETL loads record ``rows`` (and ``restored_from`` for a restore); published PGT deliveries record
    ``evento`` and the ``comune``'s ISTAT code, named here through the catalogue's places provider.
    """
    provider = catalogue.places()
    names = dict(provider.choices()) if provider and any(v.get("comune") for v in versions) else {}
    events = {"pubblicazione": _("pubblicazione"), "ripristino": _("ripristino")}
    shown = []
    for v in versions:
        try:
            when = timezone.localtime(datetime.fromisoformat(v["loaded_at"]))
        except (KeyError, TypeError, ValueError):
            when = None
        if v.get("evento"):
            event = events.get(v["evento"], v["evento"])
        elif v.get("restored_from"):
            event = _("ripristino della versione %(version)s") % {"version": v["restored_from"]}
        else:
            event = _("caricamento dei dati")
        code = v.get("comune") or ""
        rows = v.get("rows")
        shown.append(
            {
                **v,
                "loaded_at": when,
                "event": event,
                "comune_name": names.get(code, code),
                "rows": number_format(rows, force_grouping=True) if isinstance(rows, int) else None,
            }
        )
    return shown


@require_GET
def preview_geojson(request, slug: str):
    """The first features of a vector layer (at most REMIX["PREVIEW_MAX_FEATURES"]) in EPSG:4326."""
    layer = _visible_layer(request, slug)
    if layer.kind != Layer.Kind.VECTOR:
        raise Http404("Lo strato non è vettoriale")
    cap = conf.PREVIEW_MAX_FEATURES
    try:
        limit = max(1, min(cap, int(request.GET.get("limit", cap))))
    except ValueError:
        limit = cap
    response = HttpResponse(source_data.preview_geojson(layer, limit), content_type="application/geo+json")
    response["X-Remix-Data-Version"] = str(layer.data_version)
    return response


def _download_cap() -> int:
    return conf.ogc_max_features()


def _vector_for_download(request, slug: str) -> Layer:
    layer = _visible_layer(request, slug)
    if layer.kind != Layer.Kind.VECTOR:
        raise Http404("Lo strato non è vettoriale")
    return layer


def _too_many(layer: Layer):
    """A layer larger than the cap is not cut silently: the answer says so and points to the GeoPackage export."""
    cap = _download_cap()
    if source_data.feature_count(layer, cap + 1) > cap:
        message = _(
            "Lo strato «%(title)s» ha più dei %(cap)s elementi scaricabili qui: usa l'esportazione "
            "GeoPackage, che sceglie un'area."
        ) % {"title": layer.title(_lang()), "cap": number_format(cap, force_grouping=True)}
        return HttpResponse(message, status=413, content_type="text/plain; charset=utf-8")
    return None


@require_GET
def download_geojson(request, slug: str):
    """Every feature of a vector layer (up to the OGC service's max_features) as a GeoJSON file in EPSG:4326."""
    layer = _vector_for_download(request, slug)
    refused = _too_many(layer)
    if refused:
        return refused
    response = HttpResponse(source_data.preview_geojson(layer, _download_cap()), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="{layer.slug}.geojson"'
    response["X-Remix-Data-Version"] = str(layer.data_version)
    return response


@require_GET
def download_csv(request, slug: str):
    """Every feature of a vector layer as CSV (UTF-8 with BOM for spreadsheets): attributes, then WKT in EPSG:4326."""
    layer = _vector_for_download(request, slug)
    refused = _too_many(layer)
    if refused:
        return refused
    header, rows = source_data.download_rows(layer, _download_cap())
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{layer.slug}.csv"'
    response["X-Remix-Data-Version"] = str(layer.data_version)
    return response


@require_GET
def metadata_json(request, slug: str):
    layer = _visible_layer(request, slug)
    return JsonResponse(rndt_record(layer, lang=_lang(), distributions=catalogue.links(layer, request)))


@require_GET
def metadata_xml(request, slug: str):
    """The record as ISO 19139 XML (RNDT profile), for harvesters and metadata editors."""
    layer = _visible_layer(request, slug)
    record = rndt_record(layer, lang="it", distributions=catalogue.links(layer, request))
    return HttpResponse(rndt_xml(record), content_type="application/xml; charset=utf-8")

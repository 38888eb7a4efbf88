"""JSON API of the dynamic maps (/api/…): thin views over the queries; errors mapped here, once."""

from __future__ import annotations

import functools
import itertools
import json
import logging

import psycopg
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.utils import translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from layers.models import Layer

from . import conf, queries, queries_features, queries_nearby, queries_summary, raster_identify, tiles
from .errors import FilterError, MappatureError, UnknownLayerError
from .filters import parse_filter
from .layer_list import layer_tree, nearby_path
from .layer_source import resolve, visible_source
from .openapi import openapi_document
from .params import parse_bbox, parse_distance, parse_int, parse_lonlat, parse_territory

logger = logging.getLogger(__name__)


def _request_language(request) -> str:
    """``?lang=en`` or the browser's Accept-Language: /api/ has no language prefix to read it from."""
    wanted = request.GET.get("lang") or translation.get_language_from_request(request, check_path=False)
    return "en" if (wanted or "").startswith("en") else "it"


def api(view):
    """Answer in the caller's language; map the app's exceptions to JSON errors with a clear message."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        with translation.override(_request_language(request)):
            try:
                return view(request, *args, **kwargs)
            except MappatureError as err:
                return JsonResponse({"error": str(err)}, status=err.status)
            except (DatabaseError, psycopg.Error):  # psycopg's own: the CSV's COPY runs on the raw cursor
                logger.exception("map API request failed: %s", request.get_full_path())
                return JsonResponse(
                    {
                        "error": _(
                            "La richiesta non è riuscita per un errore del server: i dati mostrati non sono aggiornati."
                        )
                    },
                    status=500,
                )

    return require_GET(wrapper)


def _lang() -> str:
    return "en" if (get_language() or "it").startswith("en") else "it"


@api
def layers(request):
    return JsonResponse({"layers": layer_tree(request.user, _lang())})


@api
def features(request, slug: str):
    source = visible_source(request.user, slug, _lang())
    flt, bbox = parse_filter(request.GET), parse_bbox(request.GET.get("bbox"))
    tq = _table_query(request.GET, source)
    if request.GET.get("format") == "csv":
        rows = queries_features.stream_csv(source, flt, bbox, tq)
        first = next(rows)  # runs the query: a failure answers an error here, not a 200 with a header only
        response = StreamingHttpResponse(itertools.chain([first], rows), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{slug}.csv"'
        return response
    max_limit = conf.API_MAX_PAGE
    limit = parse_int(request.GET.get("limit"), "limit", 100, 0, max_limit)  # 0: the count only
    offset = parse_int(request.GET.get("offset"), "offset", 0, 0, 10**9)
    page = queries_features.page(
        source,
        flt,
        bbox,
        limit,
        offset,
        geometry=request.GET.get("geometry") != "0",
        count_cap=conf.API_COUNT_CAP,
        tq=tq,
    )
    body = {
        "type": "FeatureCollection",
        "layer": slug,
        "synthetic": source.synthetic,
        "features": None,  # spliced in below as PostgreSQL wrote it (queries_features.Page)
        "numberMatched": page.matched,
        "numberMatchedIsExact": page.matched_is_exact,
        "numberReturned": page.returned,
        "limit": limit,
        "offset": offset,
        "columns": [{"name": n, "label": lab} for n, lab in zip(source.attributes, source.labels, strict=True)],
    }
    if bbox is not None:
        body["bbox"] = list(bbox)
    # A key is the only place the text '"features": null' can occur (a quote inside a string is escaped).
    head, tail = json.dumps(body, cls=DjangoJSONEncoder).split('"features": null', 1)
    return HttpResponse("".join((head, '"features": ', page.features_json, tail)), content_type="application/geo+json")


def _table_query(query, source) -> queries_features.TableQuery:
    """``id``, ``sort`` (+ ``dir=desc``) and ``col.<name>=text`` of the attribute table, names checked."""
    names = set(source.attributes)
    sort = query.get("sort") or None
    if sort is not None and sort not in names:
        raise FilterError(_("Colonna sconosciuta per l'ordinamento: %(name)s") % {"name": sort})
    contains = []
    for key, value in query.items():
        if key.startswith("col."):
            name = key[4:]
            if name not in names:
                raise FilterError(_("Colonna sconosciuta nel filtro: %(name)s") % {"name": name})
            if value.strip():
                contains.append((name, value.strip()[:200]))
    feature_id = parse_int(query.get("id"), "id", None, 1, 2**63 - 1) if query.get("id") else None
    return queries_features.TableQuery(feature_id, tuple(sorted(contains)), sort, query.get("dir") == "desc")


@api
def extent(request, slug: str):
    source = visible_source(request.user, slug, _lang())
    return JsonResponse({"layer": slug, "bbox": queries_features.extent(source, parse_filter(request.GET))})


@api
def extents(request, slug: str):
    """Where the layer's features lie, as a whole and per comune (``queries_features.data_extents``).

    The map reads it once per layer and data version (``?v=``: a reload changes the URL, so browsers may
    keep it an hour) and asks only for the tiles that can hold features of the selection."""
    source = visible_source(request.user, slug, _lang())
    body = {"layer": slug, "data_version": source.data_version, **queries_features.data_extents(source)}
    response = JsonResponse(body)
    cached = "max-age=3600" if request.GET.get("v") == str(source.data_version) else "no-cache"
    response["Cache-Control"] = f"public, {cached}" if source.public else f"private, {cached}"
    if not source.public:
        response["Vary"] = "Cookie"
    return response


# Other apps add to identify's answer (AppConfig.ready), so this app never imports them: each is called with
# the list of results (``{"layer": slug, "features": [...], ...}``) when the request asks for ``statistics=1``
# and adds keys to the results it knows (incontri: the stored zonal statistics of each area hit).
IDENTIFY_EXTRAS: list = []


@api
def identify(request):
    lon, lat = parse_lonlat(request.GET)
    tolerance = parse_distance(request.GET.get("tolerance"), default=50, maximum=5000)
    flt, results = parse_filter(request.GET), []
    comune, comune_read = None, False  # read with the first vector layer's hits: one statement for both
    slugs = [s for s in (request.GET.get("layers") or "").split(",") if s][:30]
    visible = {layer.slug: layer for layer in Layer.objects.visible_to(request.user).filter(slug__in=slugs)}
    for slug in slugs:
        layer = visible.get(slug)
        if layer is None:
            raise UnknownLayerError(slug)  # never 403: unknown and hidden layers look alike
        if layer.kind == Layer.Kind.RASTER:  # rasters answer with the value of the pixel under the click
            hit = raster_identify.identify(layer, lon, lat, _lang())
            results.extend([hit] if hit else [])
            continue
        source = resolve(layer, _lang())
        if comune_read:
            hits = queries_features.identify(source, flt, lon, lat, tolerance)
        else:
            hits, comune = queries_features.identify_and_comune(source, flt, lon, lat, tolerance)
            comune_read = True
        if hits:
            labels = dict(zip(source.attributes, source.labels, strict=True))
            results.append(
                {
                    "layer": slug,
                    "title": source.title,
                    "synthetic": source.synthetic,
                    "labels": labels,
                    "features": hits,
                    "nearby": nearby_path(source.relation),
                }
            )
    if not comune_read:
        comune = queries.comune_at(lon, lat)
    if request.GET.get("statistics") == "1" and results:
        for extra in IDENTIFY_EXTRAS:
            extra(results)
    return JsonResponse({"comune": comune, "results": results})


@api
def summary(request):
    flt = parse_filter(request.GET)
    return JsonResponse({"filter": flt.as_query(), "summary": queries_summary.summary(flt).as_dict()})


@api
def compare(request):
    """Two selections side by side: ``a`` and ``b`` are ``zona:<code>`` or ``comune:<istat>``."""
    base = parse_filter(request.GET)
    sides = {}
    for side in ("a", "b"):
        flt = parse_territory(request.GET.get(side), base, side)
        sides[side] = {"filter": flt.as_query(), "summary": queries_summary.summary(flt).as_dict()}
    return JsonResponse(sides)


@api
def intervention_nearby(request, pk: int):
    distance = parse_distance(request.GET.get("distance"), default=1000, maximum=10000)
    return JsonResponse(queries_nearby.opportunities_near_realizzazione(pk, distance))


@api
def opportunity_nearby(request, kind: str, pk: int):
    distance = parse_distance(request.GET.get("distance"), default=1000, maximum=10000)
    return JsonResponse(queries_nearby.near_opportunity(kind, pk, distance))


@require_GET
def tile(request, slug: str, z: int, x: int, y: int):
    if not tiles.valid_tile(z, x, y):
        return JsonResponse({"error": _("Tassello fuori dalla griglia.")}, status=404)
    try:
        source = visible_source(request.user, slug, _lang())
        data = tiles.tile(source, parse_filter(request.GET), z, x, y)
    except MappatureError as err:  # FilterError included
        return JsonResponse({"error": str(err)}, status=err.status)
    response = HttpResponse(data, content_type="application/vnd.mapbox-vector-tile")
    # The URL carries ?v=<data_version>: a reload changes the URL, so browsers may keep tiles an hour.
    response["Cache-Control"] = "public, max-age=3600" if request.GET.get("v") else "no-cache"
    if not source.public:  # a layer for logged-in users only: no shared cache may keep it
        response["Cache-Control"] = "private, max-age=3600" if request.GET.get("v") else "private, no-cache"
        response["Vary"] = "Cookie"
    return response


@require_GET
def openapi(request):
    return JsonResponse(openapi_document(request.build_absolute_uri("/api/")))


@require_POST
def move_intervention(request, pk: int):
    """Staff move an intervention's point from the map: JSON ``{lon, lat, precision: address|site}``.

    Needs the permission to change interventions (403 otherwise) and the CSRF token; recorded with who
    and when, and in the object's admin history."""
    from django.contrib.gis.geos import Point

    from .actions import refine_location
    from .models import Realizzazione

    with translation.override(_request_language(request)):
        if not request.user.has_perm("mappature.change_realizzazione"):
            return JsonResponse(
                {"error": _("Solo il personale autorizzato può spostare una realizzazione.")}, status=403
            )
        try:
            body = json.loads(request.body or b"{}")
            lon, lat = parse_lonlat({"lon": str(body.get("lon")), "lat": str(body.get("lat"))})
        except (ValueError, MappatureError) as err:
            return JsonResponse({"error": str(err) or _("Posizione non valida.")}, status=400)
        precision = body.get("precision")
        if precision not in (Realizzazione.Precision.ADDRESS, Realizzazione.Precision.SITE):
            return JsonResponse({"error": _("La precisione va indicata come «indirizzo» o «sito».")}, status=400)
        realizzazione = Realizzazione.objects.filter(pk=pk).first()
        if realizzazione is None:
            return JsonResponse({"error": _("Realizzazione non trovata.")}, status=404)
        refine_location(realizzazione, Point(lon, lat, srid=4326), request.user, precision, via="mappa")
        return JsonResponse({"id": realizzazione.pk, "precision": precision, "lon": lon, "lat": lat})

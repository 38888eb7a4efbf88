"""OGC API – Features (Part 1 Core, Part 2 CRS by reference) over the layer registry, at /ogcapi/.

Why not MapServer's built-in OGC API: in MapServer 8.0 it is reached only through the ``mapserv``
CGI path (not ``OWSDispatch`` in mapscript), and it has neither Part 2 CRS nor property filters.
Why not pygeoapi: its collections come from a static configuration, so the registry's visibility
rules (public, authenticated, group; published) would have to be re-implemented in its config and
kept in step. Here every request asks ``Layer.objects.visible_to(user)`` — the same rule as /ows,
the catalogue and the exports — and a layer the user may not see answers 404 like a missing one.

Each page is one SQL statement composed with ``remix.db`` (``psycopg.sql``): identifiers come from the
PostgreSQL catalogue (``layers.relations`` through ``layers.ogc.published``), every value is bound.
Features are serialised by PostGIS (``ST_AsGeoJSON``) and only joined here. Only declared (public)
attributes are published.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from remix import db

from .. import conf
from ..models import Layer
from . import service
from .errors import OgcError
from .published import LayerSource

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


def epsg(code: int) -> str:
    return f"http://www.opengis.net/def/crs/EPSG/0/{code}"


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int
    lat_first: bool  # EPSG:4326 is latitude, longitude (Part 2); CRS84 is longitude, latitude
    decimals: int


CRSS = {
    c.uri: c
    for c in (
        Crs(CRS84, 4326, False, 7),
        Crs(epsg(4326), 4326, True, 7),
        Crs(epsg(3857), 3857, False, 2),
        Crs(epsg(32632), 32632, False, 2),
    )
}
STORAGE_CRS = epsg(32632)
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
]
DEFAULT_LIMIT = 10
COMMON_PARAMS = {"f", "limit", "offset", "bbox", "bbox-crs", "crs"}
GEOJSON = "application/geo+json"
JSON = "application/json"


class ApiError(OgcError):
    def __init__(self, status: int, code: str, description: str):
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


def _max_limit() -> int:
    return conf.ogc_max_features()


# --- requests, users, formats -------------------------------------------------------------------


def _user(request):
    from .views import _ows_user

    user, refused = _ows_user(request)
    if refused:
        raise ApiError(401, "Unauthorized", _("Credenziali non valide."))
    return user


def _wants_html(request) -> bool:
    f = request.GET.get("f", "").lower()
    if f:
        if f not in ("json", "html", "geojson"):
            raise ApiError(400, "InvalidParameterValue", _("Formato non disponibile: usa f=json o f=html."))
        return f == "html"
    accept = request.META.get("HTTP_ACCEPT", "")
    return "text/html" in accept and "json" not in accept


def _base(request) -> str:
    return request.build_absolute_uri(reverse("ogcapi:landing")).rstrip("/")


def _url(request, path: str, **params) -> str:
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return f"{_base(request)}{path}" + (f"?{query}" if query else "")


def _answer(
    request,
    user,
    payload: dict,
    content_type: str = JSON,
    template: str = "",
    status: int = 200,
    headers: dict | None = None,
    html: bool = False,
    extra: dict | None = None,
) -> HttpResponse:
    if html:
        response = render(
            request,
            "layers/ogcapi.html",
            {
                "page": template,
                "data": payload,
                "json": json.dumps(payload, ensure_ascii=False, indent=1),
                **(extra or {}),
            },
            status=status,
        )
    else:
        response = HttpResponse(json.dumps(payload, ensure_ascii=False), status=status, content_type=content_type)
    for key, value in (headers or {}).items():
        response[key] = value
    response["Access-Control-Allow-Origin"] = "*"
    authenticated = user is not None and user.is_authenticated
    response["Cache-Control"] = "private, max-age=60" if authenticated else "public, max-age=60"
    if authenticated:
        response["Vary"] = "Authorization, Cookie"
    return response


def _error(err: ApiError) -> HttpResponse:
    response = HttpResponse(
        json.dumps({"code": err.code, "description": err.description}, ensure_ascii=False),
        status=err.status,
        content_type=JSON,
    )
    response["Cache-Control"] = "no-store"  # an error is never cached: the same request may succeed later
    response["Access-Control-Allow-Origin"] = "*"
    if err.status == 401:
        response["WWW-Authenticate"] = 'Basic realm="Remix OWS", charset="UTF-8"'
    return response


def api_view(func):
    """OGC API errors as JSON exception bodies (status 400/401/404/503), never an HTML page."""

    @require_http_methods(["GET", "HEAD"])
    def wrapper(request, *args, **kwargs):
        try:
            return func(request, *args, **kwargs)
        except ApiError as err:
            return _error(err)
        except OgcError as err:
            return _error(ApiError(503, "ServiceUnavailable", str(err)))

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


# --- the registry ------------------------------------------------------------------------------------


def _layers(user) -> list[Layer]:
    return list(Layer.objects.visible_to(user).filter(kind="vector").order_by("theme", "sort_order", "slug"))


def _collection(user, slug: str) -> tuple[Layer, LayerSource]:
    layer = Layer.objects.visible_to(user).filter(slug=slug, kind="vector").first()
    if layer is None:
        raise ApiError(404, "NotFound", _("Collezione non trovata: %(id)s") % {"id": slug[:80]})
    sources = service.resolved([layer])
    if not sources:
        raise ApiError(503, "ServiceUnavailable", _("I dati della collezione non sono disponibili."))
    return layer, sources[0]


def _lang(request) -> str:
    return "en" if getattr(request, "LANGUAGE_CODE", "it") == "en" or request.GET.get("lang") == "en" else "it"


def _title(layer: Layer, lang: str) -> str:
    title = (layer.title_en or layer.title_it) if lang == "en" else layer.title_it
    if layer.synthetic and not any(w in title.lower() for w in ("sintetic", "synthetic")):
        title = f"{title} ({'synthetic' if lang == 'en' else 'sintetico'})"
    return title


def _bbox84(layer: Layer) -> list[float]:
    box = (layer.metadata or {}).get("extent") if isinstance(layer.metadata, dict) else None
    try:
        return [float(box[k]) for k in ("west", "south", "east", "north")]
    except (TypeError, KeyError, ValueError):
        return [8.70, 45.15, 9.56, 45.65]  # CMM, when the registry has not computed the extent yet


def _collection_doc(request, layer: Layer, lang: str) -> dict:
    path = f"/collections/{layer.slug}"
    links = [
        {"href": _url(request, path, f="json"), "rel": "self", "type": JSON, "title": "JSON"},
        {"href": _url(request, path, f="html"), "rel": "alternate", "type": "text/html", "title": "HTML"},
        {"href": _url(request, f"{path}/items", f="json"), "rel": "items", "type": GEOJSON, "title": "GeoJSON"},
        {"href": _url(request, f"{path}/items", f="html"), "rel": "items", "type": "text/html", "title": "HTML"},
        {
            "href": request.build_absolute_uri(reverse("catalogue_api:metadata-xml", args=[layer.slug])),
            "rel": "describedby",
            "type": "application/xml",
            "title": "RNDT (ISO 19139)",
        },
        {
            "href": request.build_absolute_uri(reverse("layers:layer", args=[layer.slug])),
            "rel": "related",
            "type": "text/html",
            "title": _("Scheda nel catalogo"),
        },
    ]
    meta = layer.metadata if isinstance(layer.metadata, dict) else {}
    doc = {
        "id": layer.slug,
        "title": _title(layer, lang),
        "description": (layer.abstract_en or layer.abstract_it) if lang == "en" else layer.abstract_it,
        "keywords": [str(k) for k in (meta.get("keywords") or []) if not isinstance(meta.get("keywords"), str)],
        "itemType": "feature",
        "extent": {"spatial": {"bbox": [_bbox84(layer)], "crs": CRS84}},
        "crs": list(CRSS),
        "storageCrs": STORAGE_CRS,
        "links": links,
    }
    if meta.get("licence"):
        doc["license"] = str(meta["licence"])
    if meta.get("attribution"):
        doc["attribution"] = str(meta["attribution"])
    return doc


# --- views ---------------------------------------------------------------------------------------------


@api_view
def landing(request):
    """Landing page: what the service is and where its parts are."""
    user = _user(request)
    html = _wants_html(request)
    svc = conf.OGC_SERVICE
    lang = _lang(request)
    payload = {
        "title": (svc.get("title_en") if lang == "en" else None) or svc.get("title", "Remix"),
        "description": (svc.get("abstract_en") if lang == "en" else None) or svc.get("abstract", ""),
        "links": [
            {"href": _url(request, "/", f="json"), "rel": "self", "type": JSON, "title": "JSON"},
            {"href": _url(request, "/", f="html"), "rel": "alternate", "type": "text/html", "title": "HTML"},
            {
                "href": _url(request, "/api"),
                "rel": "service-desc",
                "title": "OpenAPI",
                "type": "application/vnd.oai.openapi+json;version=3.0",
            },
            {"href": _url(request, "/conformance"), "rel": "conformance", "type": JSON, "title": "Conformance"},
            {"href": _url(request, "/collections"), "rel": "data", "type": JSON, "title": "Collections"},
            {
                "href": request.build_absolute_uri(reverse("ows")),
                "rel": "related",
                "type": "text/xml",
                "title": "WMS/WFS",
            },
        ],
    }
    return _answer(request, user, payload, template="landing", html=html)


@api_view
def conformance(request):
    user = _user(request)
    return _answer(request, user, {"conformsTo": CONFORMANCE}, template="conformance", html=_wants_html(request))


@api_view
def collections(request):
    """The vector layers the user may see."""
    user = _user(request)
    lang = _lang(request)
    payload = {
        "links": [
            {"href": _url(request, "/collections", f="json"), "rel": "self", "type": JSON},
            {"href": _url(request, "/collections", f="html"), "rel": "alternate", "type": "text/html"},
        ],
        "collections": [_collection_doc(request, layer, lang) for layer in _layers(user)],
        "crs": list(CRSS),
    }
    return _answer(request, user, payload, template="collections", html=_wants_html(request))


@api_view
def collection(request, collection_id: str):
    user = _user(request)
    layer, _source = _collection(user, collection_id)
    return _answer(
        request, user, _collection_doc(request, layer, _lang(request)), template="collection", html=_wants_html(request)
    )


def _crs(value: str, name: str) -> Crs:
    if not value:
        return CRSS[CRS84]
    crs = CRSS.get(value.strip("<>"))
    if crs is None:
        raise ApiError(
            400,
            "InvalidParameterValue",
            _("Sistema di riferimento non supportato in %(param)s: %(crs)s") % {"param": name, "crs": value[:120]},
        )
    return crs


def _int(request, name: str, default: int, minimum: int, maximum: int | None = None) -> int:
    raw = request.GET.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiError(400, "InvalidParameterValue", _("%(param)s deve essere un intero.") % {"param": name}) from None
    if value < minimum:
        raise ApiError(
            400, "InvalidParameterValue", _("%(param)s deve essere almeno %(min)s.") % {"param": name, "min": minimum}
        )
    return min(value, maximum) if maximum is not None else value


def _bbox(request) -> tuple[float, float, float, float] | None:
    raw = request.GET.get("bbox", "")
    if not raw:
        return None
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError:
        values = []
    if len(values) == 6:
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise ApiError(400, "InvalidParameterValue", _("bbox: servono 4 numeri (minx,miny,maxx,maxy)."))
    crs = _crs(request.GET.get("bbox-crs", ""), "bbox-crs")
    minx, miny, maxx, maxy = values
    if crs.lat_first:
        minx, miny, maxx, maxy = miny, minx, maxy, maxx
    if minx > maxx or miny > maxy:
        raise ApiError(400, "InvalidParameterValue", _("bbox: il minimo supera il massimo."))
    return minx, miny, maxx, maxy, crs.srid


GEOMETRY_ALIAS = "__remix_geometry"  # the geometry's name inside the record PostGIS serialises


def _feature_sql(src: LayerSource, crs: Crs) -> tuple[db.Composed, db.Composed, dict]:
    """One feature as GeoJSON text, written by PostGIS' own ``ST_AsGeoJSON(record)`` (declared
    attributes, typed; geometry in ``crs``, axis order included) with the key as the feature's "id".
    Returns (select expression, lateral record, their bound values) for ``FROM rel AS t, LATERAL (record) AS r``."""
    geom = db.compose("ST_Transform(t.{geom}, %(crs_srid)s)", geom=src.geom_column)
    if crs.lat_first:
        geom = db.compose("ST_FlipCoordinates({geom})", geom=geom)
    columns = [db.compose("t.{name}", name=c.name) for c in src.columns if c.name != src.key]
    record = db.compose(
        "SELECT {columns}", columns=[*columns, db.compose("{geom} AS {alias}", geom=geom, alias=GEOMETRY_ALIAS)]
    )
    feature = db.compose(
        "'{{\"id\":' || to_json(t.{key})::text || ','"
        " || substr(ST_AsGeoJSON(r.*, %(geometry_alias)s, %(decimals)s), 2)",
        key=src.key,
    )
    return feature, record, {"crs_srid": crs.srid, "geometry_alias": GEOMETRY_ALIAS, "decimals": crs.decimals}


def _where(request, src: LayerSource) -> tuple[db.Composed, dict]:
    """bbox and property filters (``attribute=value`` on any published attribute, compared as text)."""
    known = {c.name for c in src.columns}
    unknown = [k for k in request.GET if k not in COMMON_PARAMS and k not in known]
    if unknown:
        raise ApiError(400, "InvalidParameterValue", _("Parametro sconosciuto: %(name)s") % {"name": unknown[0][:80]})
    clauses, params = [db.SQL("TRUE")], {}
    box = _bbox(request)
    if box is not None:
        clauses.append(
            db.compose(
                "ST_Intersects(t.{geom}, ST_Transform(ST_MakeEnvelope("
                "%(bbox_minx)s, %(bbox_miny)s, %(bbox_maxx)s, %(bbox_maxy)s, %(bbox_srid)s), %(layer_srid)s))",
                geom=src.geom_column,
            )
        )
        params.update(zip(("bbox_minx", "bbox_miny", "bbox_maxx", "bbox_maxy", "bbox_srid"), box, strict=True))
        params["layer_srid"] = src.srid
    for index, name in enumerate(sorted(known & set(request.GET))):
        clauses.append(db.compose("t.{name}::text = {value}", name=name, value=db.Placeholder(f"property_{index}")))
        params[f"property_{index}"] = request.GET[name]
    return db.join(clauses, " AND "), params


@api_view
def items(request, collection_id: str):
    """A page of features: limit/offset, bbox (+bbox-crs), crs, property filters; next/prev links."""
    user = _user(request)
    html = _wants_html(request)
    layer, src = _collection(user, collection_id)
    crs = _crs(request.GET.get("crs", ""), "crs")
    limit = _int(request, "limit", DEFAULT_LIMIT, 1, _max_limit())
    offset = _int(request, "offset", 0, 0)
    where, params = _where(request, src)
    filtered = len(params) > 0
    feature, record, serialise = _feature_sql(src, crs)
    # the page is cut first, then serialised: PostgreSQL would otherwise compute the skipped rows' JSON too
    page = db.compose(
        "SELECT {feature} FROM (SELECT * FROM {rel} AS t WHERE {where} ORDER BY t.{key}"
        " LIMIT %(limit)s OFFSET %(offset)s) AS t, LATERAL ({record}) AS r ORDER BY t.{key}",
        feature=feature,
        record=record,
        rel=src.identifier,
        where=where,
        key=src.key,
    )
    rows = db.fetch_all(page, {**params, **serialise, "limit": limit, "offset": offset})
    matched = None
    if offset == 0 or filtered:  # counting 300,000 rows at every page would cost more than the page
        count = db.compose("SELECT count(*) FROM {rel} AS t WHERE {where}", rel=src.identifier, where=where)
        matched = db.fetch_value(count, params)
    path = f"/collections/{layer.slug}/items"
    keep = {k: v for k, v in request.GET.items() if k not in ("offset", "f")}
    links = [
        {"href": _url(request, path, **keep, offset=offset or None, f="json"), "rel": "self", "type": GEOJSON},
        {"href": _url(request, path, **keep, offset=offset or None, f="html"), "rel": "alternate", "type": "text/html"},
        {"href": _url(request, f"/collections/{layer.slug}", f="json"), "rel": "collection", "type": JSON},
    ]
    more = len(rows) == limit and (matched is None or offset + limit < matched)
    if more:
        links.append(
            {
                "href": _url(request, path, **keep, offset=offset + limit, f="html" if html else "json"),
                "rel": "next",
                "type": "text/html" if html else GEOJSON,
            }
        )
    if offset > 0:
        links.append(
            {
                "href": _url(
                    request, path, **keep, offset=max(0, offset - limit) or None, f="html" if html else "json"
                ),
                "rel": "prev",
                "type": "text/html" if html else GEOJSON,
            }
        )
    headers = {"Content-Crs": f"<{crs.uri}>"}
    if html:
        features = [json.loads(r[0]) for r in rows]
        payload = {"type": "FeatureCollection", "features": features, "numberReturned": len(rows), "links": links}
        if matched is not None:
            payload["numberMatched"] = matched
        columns = _labels(src, _lang(request))
        table = [(f["id"], [f["properties"].get(name) for name, _label in columns]) for f in features]
        return _answer(
            request,
            user,
            payload,
            template="items",
            headers=headers,
            html=True,
            extra={
                "title": _title(layer, _lang(request)),
                "columns": columns,
                "rows": table,
                "collection_id": layer.slug,
            },
        )
    head = {"type": "FeatureCollection", "numberReturned": len(rows), "links": links}
    if matched is not None:
        head["numberMatched"] = matched
    body = json.dumps(head, ensure_ascii=False)[:-1] + ',"features":[' + ",".join(r[0] for r in rows) + "]}"
    response = HttpResponse(body, content_type=GEOJSON)
    response["Content-Crs"] = headers["Content-Crs"]
    # the paging links also as HTTP Link headers (RFC 8288): a client can page without parsing the body
    response["Link"] = ", ".join(
        f'<{link["href"]}>; rel="{link["rel"]}"; type="{link["type"]}"'
        for link in links
        if link["rel"] in ("next", "prev")
    )
    if not response["Link"]:
        del response["Link"]
    response["Access-Control-Allow-Origin"] = "*"
    authenticated = user is not None and user.is_authenticated
    response["Cache-Control"] = "private, max-age=60" if authenticated else "public, max-age=60"
    return response


def _labels(src: LayerSource, lang: str) -> list[tuple[str, str]]:
    return [(c.name, c.label_en if lang == "en" else c.label_it) for c in src.columns if c.name != src.key]


@api_view
def item(request, collection_id: str, feature_id: str):
    """One feature by id (the layer's key)."""
    user = _user(request)
    html = _wants_html(request)
    layer, src = _collection(user, collection_id)
    unknown = [k for k in request.GET if k not in ("f", "crs")]
    if unknown:
        raise ApiError(400, "InvalidParameterValue", _("Parametro sconosciuto: %(name)s") % {"name": unknown[0][:80]})
    crs = _crs(request.GET.get("crs", ""), "crs")
    feature_sql, record, serialise = _feature_sql(src, crs)
    query = db.compose(
        "SELECT {feature} FROM {rel} AS t, LATERAL ({record}) AS r WHERE t.{key}::text = %(feature_id)s",
        feature=feature_sql,
        record=record,
        rel=src.identifier,
        key=src.key,
    )
    rows = db.fetch_all(query, {**serialise, "feature_id": feature_id[:100]})
    if not rows:
        raise ApiError(404, "NotFound", _("Elemento non trovato: %(id)s") % {"id": feature_id[:80]})
    feature = json.loads(rows[0][0])
    path = f"/collections/{layer.slug}/items/{feature_id}"
    feature["links"] = [
        {"href": _url(request, path, f="json"), "rel": "self", "type": GEOJSON},
        {"href": _url(request, path, f="html"), "rel": "alternate", "type": "text/html"},
        {"href": _url(request, f"/collections/{layer.slug}", f="json"), "rel": "collection", "type": JSON},
    ]
    extra = None
    if html:
        labels = _labels(src, _lang(request))
        extra = {
            "title": _title(layer, _lang(request)),
            "rows": [(label, feature["properties"].get(name)) for name, label in labels],
        }
    return _answer(
        request,
        user,
        feature,
        GEOJSON,
        template="item",
        html=html,
        extra=extra,
        headers={"Content-Crs": f"<{crs.uri}>"},
    )


@api_view
def openapi(request):
    """A small OpenAPI 3.0 description: the paths, and each collection's filterable properties."""
    user = _user(request)
    params = {
        "limit": {
            "name": "limit",
            "in": "query",
            "schema": {"type": "integer", "minimum": 1, "maximum": _max_limit(), "default": DEFAULT_LIMIT},
        },
        "offset": {"name": "offset", "in": "query", "schema": {"type": "integer", "minimum": 0, "default": 0}},
        "bbox": {
            "name": "bbox",
            "in": "query",
            "style": "form",
            "explode": False,
            "schema": {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
        },
        "bbox-crs": {"name": "bbox-crs", "in": "query", "schema": {"type": "string", "enum": list(CRSS)}},
        "crs": {"name": "crs", "in": "query", "schema": {"type": "string", "enum": list(CRSS)}},
        "f": {"name": "f", "in": "query", "schema": {"type": "string", "enum": ["json", "html"]}},
    }
    ok = {"200": {"description": "OK"}}
    paths = {
        "/": {"get": {"summary": "Landing page", "responses": ok}},
        "/conformance": {"get": {"summary": "Conformance classes", "responses": ok}},
        "/collections": {"get": {"summary": "Collections", "responses": ok}},
    }
    for layer in _layers(user):
        sources = service.resolved([layer])
        filters = [
            {"name": c.name, "in": "query", "schema": {"type": "string"}}
            for c in (sources[0].columns if sources else ())
        ]
        base = f"/collections/{layer.slug}"
        paths[base] = {"get": {"summary": layer.title_it, "responses": ok}}
        paths[f"{base}/items"] = {
            "get": {
                "summary": layer.title_it,
                "responses": ok,
                "parameters": [{"$ref": f"#/components/parameters/{n}"} for n in params] + filters,
            }
        }
        paths[f"{base}/items/{{featureId}}"] = {
            "get": {
                "summary": layer.title_it,
                "responses": ok,
                "parameters": [
                    {"name": "featureId", "in": "path", "required": True, "schema": {"type": "string"}},
                    {"$ref": "#/components/parameters/crs"},
                ],
            }
        }
    doc = {
        "openapi": "3.0.3",
        "info": {"title": "Remix OGC API – Features", "version": "1.0.0"},
        "servers": [{"url": _base(request)}],
        "paths": paths,
        "components": {"parameters": params},
    }
    return _answer(request, user, doc, "application/vnd.oai.openapi+json;version=3.0")

"""The OpenAPI 3.1 description of the dynamic-maps API, served at /api/openapi.json."""

from __future__ import annotations

from .filters import FILTER_PARAMS

_FILTER_DOCS = {
    "zona": "Zona omogenea code (e.g. nord-ovest)",
    "comune": "ISTAT code of a comune (6 digits)",
    "programme": "Intervention programme (exact)",
    "funding_source": "Funding source (exact)",
    "status": "Intervention status (exact)",
    "domain": "Thematic domain (exact)",
    "amount_min": "Minimum amount in euro",
    "amount_max": "Maximum amount in euro",
    "year": "Year the intervention is active in",
}


def _param(
    name: str, description: str, schema: dict | None = None, where: str = "query", required: bool = False
) -> dict:
    return {
        "name": name,
        "in": where,
        "required": required,
        "description": description,
        "schema": schema or {"type": "string"},
    }


def _filters() -> list[dict]:
    return [_param(n, _FILTER_DOCS[n], {"type": "number"} if n.startswith("amount") else None) for n in FILTER_PARAMS]


def _get(summary: str, params: list[dict], content: str = "application/json") -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": params,
            "responses": {
                "200": {"description": "OK", "content": {content: {}}},
                "400": {"description": "Invalid parameter (message in the request language)"},
                "404": {"description": "Unknown or not visible layer / feature"},
                "429": {"description": "Over the rate limit (identify, summary, compare): see Retry-After"},
            },
        }
    }


# Other apps add their paths here (AppConfig.ready), so this app never imports them.
EXTRA_PATHS: list = []


def openapi_document(server_url: str) -> dict:
    slug = _param("slug", "Layer identifier (see /layers)", where="path", required=True)
    pk = _param("id", "Feature id", {"type": "integer"}, where="path", required=True)
    distance = _param("distance", "Search distance in metres (≤ 10000, default 1000)", {"type": "number"})
    paging = [
        _param("limit", "Page size (≤ 1000, default 100)", {"type": "integer"}),
        _param("offset", "Rows to skip", {"type": "integer"}),
    ]
    bbox = _param("bbox", "minLon,minLat,maxLon,maxLat in EPSG:4326")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Remix — mappature dinamiche API",
            "version": "1",
            "description": "Layers, features (GeoJSON, EPSG:4326), summaries and proximity queries of "
            "the Città metropolitana di Milano. Filters apply identically to every endpoint.",
        },
        "servers": [{"url": server_url.rstrip("/")}],
        "paths": {
            "/layers": _get("Layers visible to the caller, by theme, with legend and delivery (geojson|mvt|wms)", []),
            "/layers/{slug}/features": _get(
                "Features of a layer as a paged GeoJSON FeatureCollection (format=csv streams all selected rows)",
                [slug, bbox, *paging, _param("geometry", "0 to omit geometries"), _param("format", "csv"), *_filters()],
                "application/geo+json",
            ),
            "/layers/{slug}/extent": _get("Bounding box (EPSG:4326) of the selected features", [slug, *_filters()]),
            "/identify": _get(
                "Features of the given layers near a point",
                [
                    _param("lon", "Longitude", {"type": "number"}, required=True),
                    _param("lat", "Latitude", {"type": "number"}, required=True),
                    _param("layers", "Comma-separated layer identifiers", required=True),
                    _param("tolerance", "Metres (default 50)", {"type": "number"}),
                    *_filters(),
                ],
            ),
            "/summary": _get("Summary of a selection: interventions, funding, opportunity areas (ha)", _filters()),
            "/compare": _get(
                "Summaries of two selections side by side",
                [
                    _param("a", "zona:<code> or comune:<istat>", required=True),
                    _param("b", "zona:<code> or comune:<istat>", required=True),
                    *_filters(),
                ],
            ),
            "/realizzazioni/{id}/nearby": _get(
                "Opportunities in the comuni of an intervention or within a distance", [pk, distance]
            ),
            "/opportunita/{kind}/{id}/nearby": _get(
                "Interventions, stations and LUM near an opportunity",
                [
                    _param(
                        "kind",
                        "ambiti_trasformazione | ambiti_rigenerazione | aree_dismesse | remix_incubatore",
                        where="path",
                        required=True,
                    ),
                    pk,
                    distance,
                ],
            ),
            "/comuni.geojson": _get("All comuni (GeoJSON, EPSG:4326)", [], "application/geo+json"),
            "/esportazioni/": _export_create(),
            "/esportazioni/{id}/{token}/": _get(
                "State of an export job, with its download_url when done",
                [pk, _param("token", "Secret part of the job's URL", where="path", required=True)],
            ),
            **{k: v for extra in EXTRA_PATHS for k, v in extra(_param, _get).items()},
        },
        # Anonymous access works; a token (or a browser session) shows what that user may see.
        "security": [{}, {"tokenAuth": []}, {"sessionAuth": []}],
        "components": {
            "securitySchemes": {
                "tokenAuth": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "'Authorization: Token <key>' (key from `manage.py api_token USER NAME`); "
                    "no CSRF token is needed. A wrong or expired key is a 401.",
                },
                "sessionAuth": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "sessionid",
                    "description": "The browser session of /consegne/accesso/; POSTs need the CSRF token.",
                },
            }
        },
    }


_TOO_MANY = {
    "description": "Over the rate limit of the caller (settings.RATE_LIMITS): the JSON error says "
    "'try again in N s', the Retry-After header gives N",
    "headers": {"Retry-After": {"schema": {"type": "integer"}}},
}


def _export_create() -> dict:
    form = {
        "type": "object",
        "required": ["layers"],
        "properties": {
            "layers": {"type": "array", "items": {"type": "string"}, "description": "Layer identifiers"},
            "area_kind": {"enum": ["comune", "zona", "bbox"]},
            "comune": {"type": "string", "description": "ISTAT code (area_kind=comune)"},
            "zona": {"type": "string", "description": "Zona omogenea code (area_kind=zona)"},
            "bbox": {"type": "string", "description": "minx,miny,maxx,maxy (area_kind=bbox)"},
            "bbox_crs": {"enum": ["EPSG:32632", "EPSG:4326"]},
        },
    }
    return {
        "post": {
            "summary": "Start a GeoPackage export; an identical request is answered with the same job",
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": form}}},
            "responses": {
                "201": {"description": "Done at once (small export): the job with its download_url"},
                "202": {"description": "Running in the background: poll status_url"},
                "400": {"description": "Refused (message in the request language)"},
                "401": {"description": "Wrong or expired API token"},
                "429": _TOO_MANY,
            },
        }
    }

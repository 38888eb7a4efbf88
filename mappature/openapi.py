"""The OpenAPI 3.1 description of Remix's JSON API, served at /api/openapi.json.

Every JSON route is here (tests/mappature/test_openapi_routes.py walks the URLconf): this module
describes the map API and, through ``layers.openapi``, the catalogue and the exports; apps that
import mappature add theirs to ``EXTRA_PATHS`` in their ``AppConfig.ready`` (indicatori, incontri,
consegne), so this app never imports them."""

from __future__ import annotations

from layers.openapi import catalogue_paths, export_paths

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
        _param("limit", "Page size (0–1000, default 100; 0: numberMatched only)", {"type": "integer"}),
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
            "/openapi.json": _get("This description (OpenAPI 3.1)", []),
            "/strati": _get("Layers visible to the caller, by theme, with legend and delivery (geojson|mvt|wms)", []),
            "/strati/{slug}/elementi": _get(
                "Features of a layer as a paged GeoJSON FeatureCollection (format=csv streams all selected rows)",
                [slug, bbox, *paging, _param("geometry", "0 to omit geometries"), _param("format", "csv"), *_filters()],
                "application/geo+json",
            ),
            "/strati/{slug}/estensione": _get("Bounding box (EPSG:4326) of the selected features", [slug, *_filters()]),
            "/strati/{slug}/estensioni": _get(
                "Bounding boxes (EPSG:4326) of the layer's features: all of them, and per comune (ISTAT code)"
                " when a selection filters the layer by the features' own comune (else null)",
                [slug, _param("v", "The layer's data version (the answer may then be cached)", {"type": "integer"})],
            ),
            "/identifica": _get(
                "Features of the given layers near a point",
                [
                    _param("lon", "Longitude", {"type": "number"}, required=True),
                    _param("lat", "Latitude", {"type": "number"}, required=True),
                    _param("layers", "Comma-separated layer identifiers", required=True),
                    _param("tolerance", "Metres (default 50)", {"type": "number"}),
                    _param(
                        "statistics",
                        "1: each hit of a layer that is a zonal-statistics area set comes with its stored statistics"
                        " (results[].statistics: area id → what /incontri/statistiche/{set}?ids= gives)",
                        {"type": "string", "enum": ["1"]},
                    ),
                    *_filters(),
                ],
            ),
            "/riepilogo": _get("Summary of a selection: interventions, funding, opportunity areas (ha)", _filters()),
            "/confronto": _get(
                "Summaries of two selections side by side",
                [
                    _param("a", "zona:<code> or comune:<istat>", required=True),
                    _param("b", "zona:<code> or comune:<istat>", required=True),
                    *_filters(),
                ],
            ),
            "/realizzazioni/{id}/vicinanze": _get(
                "Opportunities in the comuni of an intervention or within a distance", [pk, distance]
            ),
            "/realizzazioni/{id}/posizione": _move_realizzazione(pk),
            "/opportunita/{kind}/{id}/vicinanze": _get(
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
            "/comuni/{istat_code}": _get(
                "A comune's card: zona, population, area, interventions and PGT in force",
                [_param("istat_code", "ISTAT code (6 digits)", where="path", required=True)],
            ),
            **catalogue_paths(_param, _get),
            **export_paths(_param, _get, _TOO_MANY),
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


def _move_realizzazione(pk: dict) -> dict:
    body = {
        "type": "object",
        "required": ["lon", "lat", "precision"],
        "properties": {
            "lon": {"type": "number"},
            "lat": {"type": "number"},
            "precision": {"enum": ["address", "site"]},
        },
    }
    return {
        "post": {
            "summary": "Move an intervention's point (staff with the permission to change interventions; CSRF token)",
            "parameters": [pk],
            "requestBody": {"content": {"application/json": {"schema": body}}},
            "responses": {
                "200": {"description": "Moved: id, precision, lon, lat"},
                "400": {"description": "Invalid position or precision"},
                "403": {"description": "Not allowed"},
                "404": {"description": "No such intervention"},
            },
        }
    }

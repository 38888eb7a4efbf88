"""OpenAPI paths of /api/incontri/ (added to /api/openapi.json through mappature.openapi.EXTRA_PATHS)."""

from __future__ import annotations

KINDS = "ambiti_trasformazione | ambiti_rigenerazione | aree_dismesse | remix_incubatore"


def openapi_paths(param, get) -> dict:
    pk = param("id", "Id", {"type": "integer"}, where="path", required=True)
    kind = param("kind", KINDS, where="path", required=True)
    limit = param("limit", "Results (≤ 100, default 10)", {"type": "integer"})
    lang = param("lang", "it | en (default: the request's language)")
    area_set = param("area_set", "Area set code (comuni, zone, nil, opportunity kinds)", where="path", required=True)
    bilancio = get(
        "Bilancio delle diffusività territoriali of a PGT feature (?feature=<id>); POST a drawn proposal "
        "(geometry, function, surface_m2, title; logged-in users, CSRF token)",
        [param("feature", "PGT feature id", {"type": "integer"}), lang],
    )
    bilancio["post"] = {
        "summary": "Bilancio of a drawn proposal",
        "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}},
        "responses": {"200": {"description": "OK"}, "400": {"description": "Invalid proposal (message)"}},
    }
    return {
        "/incontri/realizzazioni": get("Interventions that can be matched to opportunity areas", []),
        "/incontri/realizzazioni/{id}/aree": get(
            "Best opportunity areas for an intervention", [pk, limit, param("zona", "Zona omogenea code"), lang]
        ),
        "/incontri/realizzazioni/{id}/aree.gpkg": get(
            "The intervention and its best areas as GeoPackage", [pk, limit, lang], "application/geopackage+sqlite3"
        ),
        "/incontri/idee": get("Project ideas visible to the caller (their comune's; all for CMM staff)", []),
        "/incontri/idee/{id}/aree": get("Best opportunity areas for a project idea", [pk, limit, lang]),
        "/incontri/aree/{kind}/{id}": get(
            "An opportunity area: projects that fit it and its zonal statistics", [kind, pk, limit, lang]
        ),
        "/incontri/aree/{kind}/{id}/contesto": get("Context of an opportunity area (stations, LUM, ...)", [kind, pk]),
        "/incontri/area-al-punto": get(
            "The opportunity area under a point, as /incontri/aree/{kind}/{id}",
            [
                param("lon", "Longitude", {"type": "number"}, required=True),
                param("lat", "Latitude", {"type": "number"}, required=True),
                limit,
                lang,
            ],
        ),
        "/incontri/zone/{code}/classifica": get(
            "Opportunity areas of a zona omogenea ranked",
            [param("code", "Zona omogenea code", where="path", required=True), limit, lang],
        ),
        "/incontri/statistiche/{area_set}.{format}": get(
            "Every zonal statistic of an area set as GeoPackage or CSV",
            [area_set, param("format", "gpkg | csv", where="path", required=True)],
            "application/octet-stream",
        ),
        "/incontri/statistiche/{area_set}": get(
            "Zonal statistics of several areas of a set, by area id (?ids=1,2,3; at most 100 ids)",
            [area_set, param("ids", "Area ids, comma-separated (1 to 100)", required=True)],
        ),
        "/incontri/statistiche/{area_set}/{area_id}": get(
            "Zonal statistics of one area (current: false when the data moved on)",
            [area_set, param("area_id", "Area id", where="path", required=True)],
        ),
        "/incontri/bilancio": bilancio,
    }

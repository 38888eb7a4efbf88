"""OpenAPI paths of the JSON answers of the delivery pages (added to /api/openapi.json through
mappature.openapi.EXTRA_PATHS).

They live under the pages' paths (/consegne/…, /en/consegne/…), not under /api/, and need the browser
session of a user who may see the delivery (API tokens are read under /api/ only), so each path item
names its own server: the site's root."""

from __future__ import annotations

ROOT = [{"url": "/", "description": "The site's root (pages, session login at /consegne/accesso/)"}]


def openapi_paths(param, get) -> dict:
    pk = param("id", "Delivery id", {"type": "integer"}, where="path", required=True)
    paths = {
        "/consegne/{id}/stato.json": get("State and progress of a delivery's validation", [pk]),
        "/consegne/{id}/rapporto.json": get("The validation report: findings with severity, rule, layer", [pk]),
        "/consegne/{id}/risultati.geojson": get(
            "Findings with a location as GeoJSON (EPSG:4326)", [pk], "application/geo+json"
        ),
    }
    for item in paths.values():
        item["servers"] = ROOT
        item["get"]["security"] = [{"sessionAuth": []}]
    return paths

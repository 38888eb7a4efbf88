"""OpenAPI paths of the catalogue and the GeoPackage exports (joined into /api/openapi.json by mappature.openapi).

``param(name, description, schema=None, where="query", required=False)`` and ``get(summary, params, content)``
are the document's own builders, passed in so that every path reads alike."""

from __future__ import annotations


def catalogue_paths(param, get) -> dict:
    slug = param("slug", "Layer identifier (see /catalogo/)", where="path", required=True)
    too_large = {
        "413": {"description": "Above the OGC service's max_features: use the GeoPackage export (text message)"}
    }
    return {
        "/catalogo/": get(
            "The catalogue search: the layers visible to the caller with title, theme, classification and links",
            [
                param("q", "Text in title, abstract or keywords"),
                param("tema", "Theme code"),
                param("comune", "ISTAT code: only layers whose data intersect that comune"),
            ],
        ),
        "/catalogo/{slug}/anteprima.geojson": get(
            "The first features of a vector layer (at most PREVIEW_MAX_FEATURES), EPSG:4326",
            [slug, param("limit", "Features (≤ PREVIEW_MAX_FEATURES)", {"type": "integer"})],
            "application/geo+json",
        ),
        "/catalogo/{slug}/dati.geojson": _with(
            get("The whole vector layer as a GeoJSON file, EPSG:4326", [slug], "application/geo+json"), too_large
        ),
        "/catalogo/{slug}/dati.csv": _with(
            get("The whole vector layer as CSV: attributes, then WKT in EPSG:4326", [slug], "text/csv"), too_large
        ),
        "/catalogo/{slug}/metadati.json": get("The layer's metadata record (RNDT profile) as JSON", [slug]),
        "/catalogo/{slug}/metadati.xml": get(
            "The layer's metadata record as ISO 19139 XML (RNDT profile)", [slug], "application/xml"
        ),
    }


def export_paths(param, get, too_many: dict) -> dict:
    pk = param("id", "Job id", {"type": "integer"}, where="path", required=True)
    return {
        "/esportazioni/": _export_create(too_many),
        "/esportazioni/{id}/{token}/": get(
            "State of an export job, with its download_url when done",
            [pk, param("token", "Secret part of the job's URL", where="path", required=True)],
        ),
    }


def _with(path_item: dict, responses: dict) -> dict:
    path_item["get"]["responses"].update(responses)
    return path_item


def _export_create(too_many: dict) -> dict:
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
                "429": too_many,
            },
        }
    }

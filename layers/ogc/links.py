"""Service and download links of a layer for its catalogue page (``REMIX["LAYER_LINKS"]`` provider)."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _


def layer_links(layer, request) -> list[dict]:
    """WMS/WFS capabilities, the OGC API collection, the QGIS instructions and the GeoPackage export of one layer."""
    ows = request.build_absolute_uri(reverse("ows"))
    links = [
        {"kind": "service", "label": _("WMS (GetCapabilities)"), "url": _capabilities(ows, "WMS", "1.3.0")},
        {
            "kind": "service",
            "label": _("Come aggiungerlo a QGIS"),
            "url": f"{reverse('ogc:qgis')}?{urlencode({'layer': layer.slug})}",
        },
    ]
    getmap = _getmap(ows, layer)
    if getmap:
        links.insert(
            1, {"kind": "service", "label": _("WMS GetMap (immagine dello strato)"), "url": getmap, "request": "GetMap"}
        )
    if layer.kind == "vector":
        at = len(links) - 1
        links[at:at] = [
            {"kind": "service", "label": _("WFS (GetCapabilities)"), "url": _capabilities(ows, "WFS", "2.0.0")},
            {
                "kind": "service",
                "label": _("WFS GetFeature (GeoJSON)"),
                "request": "GetFeature",
                "url": _request(
                    ows,
                    SERVICE="WFS",
                    VERSION="2.0.0",
                    REQUEST="GetFeature",
                    TYPENAMES=layer.slug,
                    OUTPUTFORMAT="geojson",
                    COUNT=100,
                ),
            },
            {
                "kind": "service",
                "label": _("OGC API Features"),
                "url": request.build_absolute_uri(reverse("ogcapi:collection", args=[layer.slug])),
            },
            {
                "kind": "service",
                "label": _("OGC API Features – elementi"),
                "request": "items",
                "url": request.build_absolute_uri(reverse("ogcapi:items", args=[layer.slug])),
            },
        ]
        links += [
            {
                "kind": "download",
                "label": _("GeoJSON (tutto lo strato, EPSG:4326)"),
                "format": "geojson",
                "url": reverse("catalogue_api:download-geojson", args=[layer.slug]),
            },
            {
                "kind": "download",
                "label": _("CSV (attributi e geometria WKT, EPSG:4326)"),
                "format": "csv",
                "url": reverse("catalogue_api:download-csv", args=[layer.slug]),
            },
            {
                "kind": "download",
                "label": _("GeoPackage (scegli l'area)"),
                "format": "gpkg",
                "url": f"{reverse('exports:form')}?{urlencode({'layer': layer.slug})}",
            },
        ]
    return links


def _getmap(ows: str, layer, width: int = 800) -> str | None:
    """A WMS 1.3.0 GetMap of the whole layer (its WGS84 extent, lat/lon axis order), sized to its shape."""
    box = (layer.metadata or {}).get("extent")
    if not box:
        return None
    west, south, east, north = (float(box[k]) for k in ("west", "south", "east", "north"))
    dx = max(east - west, 1e-6) * math.cos(math.radians((north + south) / 2))
    height = max(50, min(2000, round(width * max(north - south, 1e-6) / dx)))
    return _request(
        ows,
        SERVICE="WMS",
        VERSION="1.3.0",
        REQUEST="GetMap",
        LAYERS=layer.slug,
        STYLES="",
        CRS="EPSG:4326",
        BBOX=f"{south},{west},{north},{east}",
        WIDTH=width,
        HEIGHT=height,
        FORMAT="image/png",
        TRANSPARENT="TRUE",
    )


def _request(ows: str, **params) -> str:
    return f"{ows}?{urlencode(params)}"


def _capabilities(ows: str, service: str, version: str) -> str:
    return f"{ows}?{urlencode({'SERVICE': service, 'VERSION': version, 'REQUEST': 'GetCapabilities'})}"

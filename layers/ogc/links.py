"""Service and download links of a layer for its catalogue page (``REMIX["LAYER_LINKS"]`` provider)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _


def layer_links(layer, request) -> list[dict]:
    """WMS/WFS capabilities, the OGC API collection, the QGIS instructions and the GeoPackage export of one layer."""
    ows = request.build_absolute_uri(reverse("ows"))
    links = [
        {"kind": "service", "label": _("WMS (GetCapabilities)"), "url": _capabilities(ows, "WMS", "1.3.0")},
        {"kind": "service", "label": _("Come aggiungerlo a QGIS"),
         "url": f"{reverse('ogc:qgis')}?{urlencode({'layer': layer.slug})}"},
    ]
    if layer.kind == "vector":
        links.insert(1, {"kind": "service", "label": _("WFS (GetCapabilities)"),
                         "url": _capabilities(ows, "WFS", "2.0.0")})
        links.insert(2, {"kind": "service", "label": _("OGC API Features"),
                         "url": request.build_absolute_uri(reverse("ogcapi:collection", args=[layer.slug]))})
        links.append({"kind": "download", "label": _("GeoPackage (scegli l'area)"),
                      "url": f"{reverse('exports:form')}?{urlencode({'layer': layer.slug})}"})
    return links


def _capabilities(ows: str, service: str, version: str) -> str:
    return f"{ows}?{urlencode({'SERVICE': service, 'VERSION': version, 'REQUEST': 'GetCapabilities'})}"

"""The layer tree of the map: registry layers visible to the user, grouped by theme, with legends."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _

from layers.errors import StyleError
from layers.models import Layer
from layers.styles import parse_style

from .opportunities import OPPORTUNITY_KINDS
from .view_sql import REALIZZAZIONI_VIEW

_OPPORTUNITY_RELATIONS = {k.relation for k in OPPORTUNITY_KINDS}

# Which proximity question a layer's features can ask ("projects meet opportunities").
_NEARBY = {REALIZZAZIONI_VIEW: "realizzazioni"} | {k.relation: f"opportunita/{k.code}" for k in OPPORTUNITY_KINDS}


def classification(layer: Layer, lang: str) -> tuple[dict, list[dict]]:
    """The layer's style as the registry parses it (same rules as MapServer and the catalogue) and its legend."""
    try:
        parsed = parse_style(layer.style or {}, geometry_type=layer.geometry_type)
    except StyleError:
        parsed = parse_style({})  # a broken style is the registry's to report; the map still draws
    legend = [{"label": e.label, "color": e.symbol.fill, "stroke": e.symbol.stroke} for e in parsed.legend(lang)]
    return parsed.as_json(lang), legend


def layer_tree(user, lang: str = "it") -> list[dict]:
    """Visible vector and raster layers, ordered by theme, as the map page and /api/layers show them."""
    themes = dict(Layer.Theme.choices)
    out = []
    for layer in Layer.objects.visible_to(user).order_by("theme", "sort_order", "slug"):
        title = layer.title(lang)
        abstract = layer.abstract(lang)
        style, legend = classification(layer, lang)
        opportunity = layer.source in _OPPORTUNITY_RELATIONS
        out.append(
            {
                "slug": layer.slug,
                "title": title,
                "abstract": abstract,
                "theme": layer.theme,
                "theme_label": str(themes.get(layer.theme, layer.theme)),
                "kind": layer.kind,
                # The tree's group: the opportunity layers together ("Opportunità"), the others by theme.
                "group": "opportunita" if opportunity else layer.theme,
                "group_label": str(_("Opportunità")) if opportunity else str(themes.get(layer.theme, layer.theme)),
                "geometry_type": layer.geometry_type,
                "synthetic": layer.synthetic,
                "data_version": layer.data_version,
                "classification": style,
                "legend": legend,
                "min_zoom": layer.min_zoom,
                "max_zoom": layer.max_zoom,
                "attributes": layer.attributes or [],
                "delivery": _delivery(layer),
                "nearby": nearby_path(layer.source),
                "links": _links(layer),
            }
        )
    return out


def _links(layer: Layer) -> dict:
    """Where the map fetches the layer: GeoJSON and tiles for vectors; our own WMS (/ows) for every layer,
    which is how rasters are drawn, with the legend MapServer draws from the same registry style."""
    ows = reverse("ows")
    legend = (
        f"{ows}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetLegendGraphic&LAYER={layer.slug}"
        "&FORMAT=image/png&SLD_VERSION=1.1.0"
    )
    return {
        "features": reverse("api:layer-features", args=[layer.slug]),
        "tiles": reverse("tiles:tile", args=[layer.slug, 0, 0, 0]).replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf"),
        "wms": ows,
        "legend_graphic": legend,
    }


def nearby_path(relation: str) -> str | None:
    """API path prefix of the proximity query for this relation's features, if any."""
    return _NEARBY.get(relation)


def _delivery(layer: Layer) -> str:
    """PGT layers (up to hundreds of thousands of polygons) travel as vector tiles, the rest as GeoJSON;
    rasters as WMS images from our own MapServer (/ows: no internet needed)."""
    if layer.kind != Layer.Kind.VECTOR:
        return "wms"
    return "mvt" if layer.theme == Layer.Theme.PGT or layer.source.startswith("pgt_") else "geojson"

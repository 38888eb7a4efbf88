"""The layer tree of the map: registry layers visible to the user, grouped by theme, with legends."""

from __future__ import annotations

from django.urls import reverse

from layers.models import Layer

from .map_views import REALIZZAZIONI_VIEW
from .opportunities import OPPORTUNITY_KINDS

# Which proximity question a layer's features can ask ("projects meet opportunities").
_NEARBY = {REALIZZAZIONI_VIEW: "realizzazioni"} | {k.relation: f"opportunita/{k.code}" for k in OPPORTUNITY_KINDS}


def legend(style: dict) -> list[dict]:
    """Legend entries from a layer's style JSON: one per classification rule, or one for a simple style."""
    rules = style.get("rules") or style.get("classes") or []
    if rules:
        return [{"label": r.get("label") or r.get("label_it") or str(r.get("value", "")),
                 "color": r.get("color") or r.get("fill") or style.get("color", "#3388ff")} for r in rules]
    return [{"label": "", "color": style.get("color") or style.get("fill") or "#3388ff"}]


def layer_tree(user, lang: str = "it") -> list[dict]:
    """Visible vector and raster layers, ordered by theme, as the map page and /api/layers show them."""
    themes = dict(Layer.Theme.choices)
    out = []
    for layer in Layer.objects.visible_to(user).order_by("theme", "sort_order", "slug"):
        title = (layer.title_en if lang == "en" else "") or layer.title_it
        abstract = (layer.abstract_en if lang == "en" else "") or layer.abstract_it
        out.append({
            "slug": layer.slug, "title": title, "abstract": abstract, "theme": layer.theme,
            "theme_label": str(themes.get(layer.theme, layer.theme)), "kind": layer.kind,
            "geometry_type": layer.geometry_type, "synthetic": layer.synthetic,
            "data_version": layer.data_version, "style": layer.style or {}, "legend": legend(layer.style or {}),
            "min_zoom": layer.min_zoom, "max_zoom": layer.max_zoom,
            "attributes": layer.attributes or [],
            "delivery": "mvt" if _is_large(layer) else "geojson",
            "nearby": nearby_path(layer.source),
            "links": {
                "features": reverse("api:layer-features", args=[layer.slug]),
                "tiles": reverse("tiles:tile", args=[layer.slug, 0, 0, 0]).replace("/0/0/0.pbf", "/{z}/{x}/{y}.pbf"),
            },
        })
    return out


def nearby_path(relation: str) -> str | None:
    """API path prefix of the proximity query for this relation's features, if any."""
    return _NEARBY.get(relation)


def _is_large(layer: Layer) -> bool:
    """PGT layers (up to hundreds of thousands of polygons) travel as vector tiles; the rest as GeoJSON."""
    style = layer.style or {}
    if "delivery" in style:
        return style["delivery"] == "mvt"
    return layer.theme == Layer.Theme.PGT or layer.source.startswith("pgt_")

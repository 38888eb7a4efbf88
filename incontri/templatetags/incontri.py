"""Template tags of the incontri panels."""

from __future__ import annotations

import json

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def zonal_layers() -> str:
    """{registry layer: area set} of the area sets whose ids are the layer's feature ids (opportunity areas,
    NIL), as JSON for the identify popup's statistics (only [a-z0-9_] slugs, safe inside a script tag)."""
    from incontri import zonal

    return mark_safe(json.dumps({s.layer: s.code for s in zonal.area_sets() if s.id_column == "id"}))  # noqa: S308

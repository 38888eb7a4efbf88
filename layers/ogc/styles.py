"""Reads a registry style (``Layer.style`` JSON) into plain classes shared by MapServer and QGIS styles.

The registry's style is a small JSON document::

    {"fill": "#e31a1c", "stroke": "#333333", "stroke_width": 0.5, "opacity": 0.7, "size": 6,
     "field": "dcod_dest1", "kind": "categorized" | "graduated",
     "classes": [{"value": "RESIDENZIALE", "label_it": "Residenziale", "label_en": "Residential",
                  "fill": "#fdbf6f"},
                 {"min": 0, "max": 10, "label_it": "0–10", "fill": "#ffffcc"}]}

Every key is optional: no ``classes`` means one class drawn with the base symbol; a class
inherits the base symbol's keys it does not set. Raster layers classify ``[pixel]`` the same
way (``kind`` graduated, no ``field``). Pure functions only: nothing here touches the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

DEFAULT_FILL = "#3182bd"
DEFAULT_STROKE = "#08306b"
_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


@dataclass(frozen=True)
class Symbol:
    fill: str | None = DEFAULT_FILL
    stroke: str | None = DEFAULT_STROKE
    stroke_width: float = 0.6
    opacity: float = 1.0  # 0..1
    size: float = 6.0  # marker diameter in pixels (points)


@dataclass(frozen=True)
class StyleClass:
    label_it: str
    label_en: str
    symbol: Symbol
    value: str | None = None  # categorized: equality with this value
    min: float | None = None  # graduated: min <= x < max
    max: float | None = None


@dataclass(frozen=True)
class Style:
    field: str | None
    kind: str  # "single", "categorized" or "graduated"
    classes: tuple[StyleClass, ...]


def parse_color(value, default: str | None) -> str | None:
    """``#rrggbb`` (case-insensitive, the ``#`` optional); ``None``/"none" for no colour."""
    if value is None:
        return default
    if isinstance(value, str) and value.lower() in {"none", "transparent", ""}:
        return None
    match = _HEX.match(str(value))
    return f"#{match.group(1).lower()}" if match else default


def _opacity(value, default: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    number = number / 100 if number > 1 else number  # 0..100 accepted as well as 0..1
    return min(max(number, 0.0), 1.0)


def _number(value, default):
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _symbol(spec: dict, base: Symbol) -> Symbol:
    return replace(
        base,
        fill=parse_color(spec["fill"], None) if "fill" in spec else base.fill,
        stroke=parse_color(spec["stroke"], None) if "stroke" in spec else base.stroke,
        stroke_width=_number(spec.get("stroke_width"), base.stroke_width),
        opacity=_opacity(spec.get("opacity"), base.opacity),
        size=_number(spec.get("size"), base.size),
    )


def parse_style(spec: dict | None, title_it: str = "", title_en: str = "") -> Style:
    """The registry style as a :class:`Style`; unknown keys are ignored, bad colours fall back."""
    spec = spec if isinstance(spec, dict) else {}
    base = _symbol(spec, Symbol())
    raw_classes = [c for c in spec.get("classes") or [] if isinstance(c, dict)]
    field = spec.get("field") or None
    if not raw_classes:
        only = StyleClass(label_it=title_it, label_en=title_en or title_it, symbol=base)
        return Style(field=None, kind="single", classes=(only,))
    graduated = spec.get("kind") == "graduated" or any("min" in c or "max" in c for c in raw_classes)
    classes = tuple(_style_class(c, base, graduated) for c in raw_classes)
    return Style(field=field, kind="graduated" if graduated else "categorized", classes=classes)


def _style_class(spec: dict, base: Symbol, graduated: bool) -> StyleClass:
    value = None if graduated or spec.get("value") is None else str(spec["value"])
    label_it = str(spec.get("label_it") or spec.get("label") or value or _range_label(spec))
    return StyleClass(
        label_it=label_it,
        label_en=str(spec.get("label_en") or label_it),
        symbol=_symbol(spec, base),
        value=value,
        min=_number(spec.get("min"), None) if graduated else None,
        max=_number(spec.get("max"), None) if graduated else None,
    )


def _range_label(spec: dict) -> str:
    low, high = spec.get("min"), spec.get("max")
    if low is not None and high is not None:
        return f"{low} – {high}"
    return f"≥ {low}" if low is not None else f"< {high}" if high is not None else ""


def rgb(color: str) -> tuple[int, int, int]:
    """``#rrggbb`` → (r, g, b)."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)

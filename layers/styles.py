"""Styles as data: a layer's ``style`` JSON parsed into a typed classification that yields its legend.

Pure functions, no database: MapServer (layers.ogc), the catalogue legend and the web map all read
the same classification, so a legend never disagrees with the map.

Style JSON (``Layer.style``)::

    {"kind": "single", "fill": "#hex", "stroke": "#hex", "stroke_width": 1, "opacity": 0.6, "size": 10,
     "label_it": "...", "label_en": "..."}
    {"kind": "categorized", "field": "dtipo", "stroke": "#hex", ...base symbol keys...,
     "classes": [{"value": "X", "label_it": "...", "label_en": "...", "fill": "#hex", ...}],
     "other": {"label_it": "Altro", "label_en": "Other", "fill": "#hex"}}      # optional
    {"kind": "graduated", "field": "amount_eur", ...base symbol keys...,
     "classes": [{"min": 0, "max": 1e6, "label_it": "...", "label_en": "...", "fill": "#hex"}]}

Symbol keys (top level for the base symbol, or in each class): ``fill``, ``stroke`` (#rrggbb),
``stroke_width`` (px), ``opacity`` (0–1), ``size`` (marker diameter, px) — the keys layers.ogc
reads too; ``width``/``radius`` or a nested ``symbol`` mapping are accepted as well. Graduated
classes are half-open ``[min, max)`` except the last, which includes its ``max``; they must be
ordered and must not overlap. A feature without a value (NULL, or not a number) is never in a range:
it takes the ``other`` class (e.g. "Importo non indicato"), with its own colour, on the web map, in
MapServer (layers.ogc) and in the QML of the GeoPackages (layers.exports.qml) alike. Rasters use
``graduated`` on the pixel value (no ``field``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .errors import StyleError

_COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")
_SYMBOL_KEYS = ("fill", "stroke", "width", "opacity", "radius")
_ALL_SYMBOL_KEYS = (*_SYMBOL_KEYS, "stroke_width", "size")
DEFAULT_SYMBOL = {"fill": "#3388ff", "stroke": "#1f4e99", "width": 1.0, "opacity": 0.6, "radius": 5.0}


@dataclass(frozen=True)
class Symbol:
    """How one class is drawn (colours as #rrggbb, width and radius in pixels)."""

    fill: str = DEFAULT_SYMBOL["fill"]
    stroke: str = DEFAULT_SYMBOL["stroke"]
    width: float = DEFAULT_SYMBOL["width"]
    opacity: float = DEFAULT_SYMBOL["opacity"]
    radius: float = DEFAULT_SYMBOL["radius"]

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in _SYMBOL_KEYS}


@dataclass(frozen=True)
class StyleClass:
    """One class of a classification: the values it matches, its labels and its symbol."""

    label_it: str
    label_en: str
    symbol: Symbol
    value: str | None = None  # categorized
    min: float | None = None  # graduated, inclusive
    max: float | None = None  # graduated, exclusive (inclusive for the last class)

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" and self.label_en else self.label_it


@dataclass(frozen=True)
class LegendEntry:
    label: str
    symbol: Symbol


@dataclass(frozen=True)
class Classification:
    """A parsed style: ``single``, ``categorized`` (by value) or ``graduated`` (by numeric range)."""

    kind: str
    field: str | None
    classes: tuple[StyleClass, ...]
    other: StyleClass | None = None

    def classify(self, value) -> StyleClass | None:
        """The class a feature with this attribute value is drawn with (None: not drawn)."""
        if self.kind == "single":
            return self.classes[0]
        if self.kind == "categorized":
            key = None if value is None else str(value)
            match = next((c for c in self.classes if c.value == key), None)
            return match or self.other
        number = _as_number(value)
        if number is None:
            return self.other
        last = len(self.classes) - 1
        for i, c in enumerate(self.classes):
            if c.min <= number < c.max or (i == last and number == c.max):
                return c
        return self.other

    def as_json(self, lang: str = "it") -> dict:
        """The classification for a browser map (same rules as classify), labels in ``lang``."""

        def one(c: StyleClass) -> dict:
            return {"value": c.value, "min": c.min, "max": c.max, "label": c.label(lang), "symbol": c.symbol.as_dict()}

        return {
            "kind": self.kind,
            "field": self.field,
            "classes": [one(c) for c in self.classes],
            "other": one(self.other) if self.other else None,
        }

    def legend(self, lang: str = "it") -> list[LegendEntry]:
        """Legend entries in drawing order, labelled in ``lang`` (Italian unless "en")."""
        entries = [LegendEntry(c.label(lang), c.symbol) for c in self.classes]
        if self.other is not None:
            entries.append(LegendEntry(self.other.label(lang), self.other.symbol))
        return entries


def parse_style(style: dict | None, *, geometry_type: str = "") -> Classification:
    """Turn a layer's style JSON into a Classification; an empty style draws every feature alike."""
    style = style or {}
    kind = style.get("kind", "single")
    # The base symbol's keys may sit at the top level (as layers.ogc reads them) or under "symbol".
    base = _symbol({**{k: v for k, v in style.items() if k in _ALL_SYMBOL_KEYS}, **style.get("symbol", {})}, Symbol())
    if kind == "single":
        label_it = style.get("label_it", "")
        only = StyleClass(label_it, style.get("label_en", label_it), base)
        return Classification("single", None, (only,))
    if kind not in ("categorized", "graduated"):
        raise StyleError(f"Tipo di stile sconosciuto: {kind!r} (ammessi: single, categorized, graduated).")
    # A raster classifies its pixel value: no attribute to name.
    field_name = style.get("field") or ("value" if geometry_type == "Raster" else None)
    raw = style.get("classes") or []
    if not field_name or not raw:
        raise StyleError(f"Lo stile {kind} richiede un campo ('field') e almeno una classe ('classes').")
    classes = tuple(_class(c, base, kind) for c in raw)
    if kind == "graduated":
        _check_ranges(classes)
    else:
        _check_unique_values(classes)
    other = _class({"value": None, **style["other"]}, base, "other") if style.get("other") else None
    return Classification(kind, field_name, classes, other)


def _class(raw: dict, base: Symbol, kind: str) -> StyleClass:
    label_it = str(raw.get("label_it") or raw.get("value") or "")
    label_en = str(raw.get("label_en") or label_it)
    symbol = _symbol(raw, base)
    if kind == "graduated":
        lo, hi = _as_number(raw.get("min")), _as_number(raw.get("max"))
        if lo is None or hi is None or lo > hi:
            raise StyleError(f"Classe «{label_it}»: 'min' e 'max' devono essere numeri con min ≤ max.")
        return StyleClass(label_it, label_en, symbol, min=lo, max=hi)
    value = raw.get("value")
    if kind == "categorized" and value is None:
        raise StyleError(f"Classe «{label_it}»: manca il valore ('value').")
    return StyleClass(label_it, label_en, symbol, value=None if value is None else str(value))


def _symbol(raw: dict, base: Symbol) -> Symbol:
    raw = dict(raw)
    # Aliases shared with layers.ogc: stroke_width is the line width, size a marker's diameter.
    if "stroke_width" in raw:
        raw.setdefault("width", raw["stroke_width"])
    if "size" in raw and _as_number(raw["size"]) is not None:
        raw.setdefault("radius", _as_number(raw["size"]) / 2)
    changes = {}
    for key in _SYMBOL_KEYS:
        if key not in raw:
            continue
        value = raw[key]
        if key in ("fill", "stroke"):
            if not isinstance(value, str) or not _COLOR.match(value):
                raise StyleError(f"Colore non valido per '{key}': {value!r} (atteso #rrggbb).")
        else:
            value = _as_number(value)
            if value is None or value < 0 or (key == "opacity" and value > 1):
                raise StyleError(f"Valore non valido per '{key}': {raw[key]!r}.")
        changes[key] = value
    return replace(base, **changes)


def _check_ranges(classes: tuple[StyleClass, ...]) -> None:
    for prev, cur in zip(classes, classes[1:], strict=False):
        if cur.min < prev.max:
            raise StyleError(f"Le classi «{prev.label_it}» e «{cur.label_it}» si sovrappongono o non sono ordinate.")


def _check_unique_values(classes: tuple[StyleClass, ...]) -> None:
    seen = set()
    for c in classes:
        if c.value in seen:
            raise StyleError(f"Il valore {c.value!r} compare in più classi.")
        seen.add(c.value)


def _as_number(value) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None

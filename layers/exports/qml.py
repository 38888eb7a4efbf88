"""Writes a registry style as a QGIS style (QML), the form QGIS reads from a GeoPackage's ``layer_styles``.

Pure functions: the registry's :class:`~layers.styles.Classification` and the layer's columns in,
XML text out (so QGIS shows the same classes and labels as the catalogue legend and the WMS).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..ogc.published import Column
from ..styles import Classification, Symbol

PIXEL_MM = 0.26  # QGIS' millimetres per screen pixel at 96 dpi


def _color(hex_color: str, opacity: float = 1.0) -> str:
    r, g, b = (int(hex_color[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(opacity * 255)}"


def _options(parent, values: dict) -> None:
    options = ET.SubElement(parent, "Option", type="Map")
    for name, value in values.items():
        ET.SubElement(options, "Option", type="QString", name=name, value=str(value))


def _symbol(parent, name: str, sym: Symbol, geometry_type: str) -> None:
    outline = "solid" if sym.width > 0 else "no"
    if geometry_type.endswith("POINT"):
        kind, cls, values = (
            "marker",
            "SimpleMarker",
            {
                "name": "circle",
                "color": _color(sym.fill, sym.opacity),
                "size": round(2 * sym.radius * PIXEL_MM, 2),
                "outline_color": _color(sym.stroke),
                "outline_width": round(sym.width * PIXEL_MM, 2),
                "outline_style": outline,
            },
        )
    elif geometry_type.endswith("LINESTRING"):
        kind, cls, values = (
            "line",
            "SimpleLine",
            {
                "line_color": _color(sym.stroke),
                "line_width": round(max(sym.width, 1) * PIXEL_MM, 2),
                "line_style": "solid",
            },
        )
    else:
        kind, cls, values = (
            "fill",
            "SimpleFill",
            {
                "color": _color(sym.fill, sym.opacity),
                "style": "solid",
                "outline_color": _color(sym.stroke),
                "outline_style": outline,
                "outline_width": round(sym.width * PIXEL_MM, 2),
                "outline_width_unit": "MM",
            },
        )
    symbol = ET.SubElement(parent, "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {"class": cls, "enabled": "1", "pass": "0", "locked": "0"})
    _options(layer, values)


def _renderer(root, style: Classification, geometry_type: str, lang: str) -> None:
    def label(c):
        return c.label(lang)

    if style.kind == "single" or not style.field:
        renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0")
        symbols = ET.SubElement(renderer, "symbols")
        _symbol(symbols, "0", style.classes[0].symbol, geometry_type)
        return
    if style.kind == "categorized":
        renderer = ET.SubElement(
            root, "renderer-v2", type="categorizedSymbol", attr=style.field, symbollevels="0", forceraster="0"
        )
        groups = ET.SubElement(renderer, "categories")
        for i, cls in enumerate(style.classes):
            ET.SubElement(groups, "category", symbol=str(i), value=cls.value or "", label=label(cls), render="true")
        if style.other is not None:  # QGIS: the category with an empty value takes every other value
            ET.SubElement(
                groups, "category", symbol=str(len(style.classes)), value="", label=label(style.other), render="true"
            )
    elif style.other is not None:
        # QGIS' graduated renderer draws nothing for a value in no range (NULL included): with an "other"
        # class, rules (each range, then ELSE) give features without a value their own class and colour.
        renderer = ET.SubElement(root, "renderer-v2", type="RuleRenderer", symbollevels="0", forceraster="0")
        rules = ET.SubElement(renderer, "rules", key="root")
        last = len(style.classes) - 1
        for i, cls in enumerate(style.classes):
            ET.SubElement(
                rules,
                "rule",
                key=f"r{i}",
                symbol=str(i),
                label=label(cls),
                filter=_range_filter(style.field, cls.min, cls.max, i == last),
            )
        ET.SubElement(rules, "rule", key=f"r{last + 1}", symbol=str(last + 1), label=label(style.other), filter="ELSE")
    else:
        renderer = ET.SubElement(
            root,
            "renderer-v2",
            type="graduatedSymbol",
            attr=style.field,
            graduatedMethod="GraduatedColor",
            symbollevels="0",
            forceraster="0",
        )
        groups = ET.SubElement(renderer, "ranges")
        for i, cls in enumerate(style.classes):
            low = cls.min if cls.min is not None else -1e308
            high = cls.max if cls.max is not None else 1e308
            ET.SubElement(
                groups, "range", symbol=str(i), lower=repr(low), upper=repr(high), label=label(cls), render="true"
            )
    symbols = ET.SubElement(renderer, "symbols")
    extra = (style.other,) if style.other is not None else ()
    for i, cls in enumerate(style.classes + extra):
        _symbol(symbols, str(i), cls.symbol, geometry_type)


def _range_filter(field: str, low: float | None, high: float | None, last: bool) -> str:
    """QGIS expression of a graduated class: [low, high), [low, high] for the last one (as layers.styles)."""
    name = '"' + field.replace('"', '""') + '"'
    terms = [f"{name} IS NOT NULL"]
    if low is not None:
        terms.append(f"{name} >= {low!r}")
    if high is not None:
        terms.append(f"{name} {'<=' if last else '<'} {high!r}")
    return " AND ".join(terms)


def qml(style: Classification, columns: tuple[Column, ...], geometry_type: str, lang: str = "it") -> str:
    """The QML document of a vector layer: its renderer and its attribute aliases."""
    root = ET.Element("qgis", version="3.28.0", styleCategories="Symbology|Fields")
    _renderer(root, style, geometry_type, lang)
    aliases = ET.SubElement(root, "aliases")
    for index, col in enumerate(columns):
        ET.SubElement(
            aliases, "alias", field=col.name, index=str(index), name=col.label_en if lang == "en" else col.label_it
        )
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"

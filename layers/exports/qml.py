"""Writes a registry style as a QGIS style (QML), the form QGIS reads from a GeoPackage's ``layer_styles``.

Pure functions: a :class:`~layers.ogc.styles.Style` and the layer's columns in, XML text out.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from ..ogc.sources import Column
from ..ogc.styles import Style, Symbol, rgb

PIXEL_MM = 0.26  # QGIS' millimetres per screen pixel at 96 dpi


def _color(hex_color: str | None, opacity: float) -> str:
    if not hex_color:
        return "0,0,0,0"
    r, g, b = rgb(hex_color)
    return f"{r},{g},{b},{round(opacity * 255)}"


def _options(parent, values: dict) -> None:
    options = ET.SubElement(parent, "Option", type="Map")
    for name, value in values.items():
        ET.SubElement(options, "Option", type="QString", name=name, value=str(value))


def _symbol(parent, name: str, sym: Symbol, geometry_type: str) -> None:
    if geometry_type.endswith("POINT"):
        kind, cls, values = "marker", "SimpleMarker", {
            "name": "circle", "color": _color(sym.fill, sym.opacity), "size": round(sym.size * PIXEL_MM, 2),
            "outline_color": _color(sym.stroke, sym.opacity), "outline_width": round(sym.stroke_width * PIXEL_MM, 2),
            "outline_style": "solid" if sym.stroke else "no"}
    elif geometry_type.endswith("LINESTRING"):
        kind, cls, values = "line", "SimpleLine", {
            "line_color": _color(sym.stroke or sym.fill, sym.opacity),
            "line_width": round(max(sym.stroke_width, 1) * PIXEL_MM, 2), "line_style": "solid"}
    else:
        kind, cls, values = "fill", "SimpleFill", {
            "color": _color(sym.fill, sym.opacity), "style": "solid" if sym.fill else "no",
            "outline_color": _color(sym.stroke, sym.opacity), "outline_style": "solid" if sym.stroke else "no",
            "outline_width": round(sym.stroke_width * PIXEL_MM, 2), "outline_width_unit": "MM"}
    symbol = ET.SubElement(parent, "symbol", type=kind, name=name, alpha="1", clip_to_extent="1", force_rhr="0")
    layer = ET.SubElement(symbol, "layer", {"class": cls, "enabled": "1", "pass": "0", "locked": "0"})
    _options(layer, values)


def _renderer(root, style: Style, geometry_type: str, lang: str) -> None:
    label = (lambda c: c.label_en) if lang == "en" else (lambda c: c.label_it)
    if style.kind == "single" or not style.field:
        renderer = ET.SubElement(root, "renderer-v2", type="singleSymbol", symbollevels="0", forceraster="0")
        symbols = ET.SubElement(renderer, "symbols")
        _symbol(symbols, "0", style.classes[0].symbol, geometry_type)
        return
    if style.kind == "categorized":
        renderer = ET.SubElement(root, "renderer-v2", type="categorizedSymbol", attr=style.field,
                                 symbollevels="0", forceraster="0")
        groups = ET.SubElement(renderer, "categories")
        for i, cls in enumerate(style.classes):
            ET.SubElement(groups, "category", symbol=str(i), value=cls.value or "", label=label(cls), render="true")
    else:
        renderer = ET.SubElement(root, "renderer-v2", type="graduatedSymbol", attr=style.field,
                                 graduatedMethod="GraduatedColor", symbollevels="0", forceraster="0")
        groups = ET.SubElement(renderer, "ranges")
        for i, cls in enumerate(style.classes):
            low = cls.min if cls.min is not None else -1e308
            high = cls.max if cls.max is not None else 1e308
            ET.SubElement(groups, "range", symbol=str(i), lower=repr(low), upper=repr(high), label=label(cls),
                          render="true")
    symbols = ET.SubElement(renderer, "symbols")
    for i, cls in enumerate(style.classes):
        _symbol(symbols, str(i), cls.symbol, geometry_type)


def qml(style: Style, columns: tuple[Column, ...], geometry_type: str, lang: str = "it") -> str:
    """The QML document of a vector layer: its renderer and its attribute aliases."""
    root = ET.Element("qgis", version="3.28.0", styleCategories="Symbology|Fields")
    _renderer(root, style, geometry_type, lang)
    aliases = ET.SubElement(root, "aliases")
    for index, col in enumerate(columns):
        ET.SubElement(aliases, "alias", field=col.name, index=str(index),
                      name=col.label_en if lang == "en" else col.label_it)
    body = ET.tostring(root, encoding="unicode")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + body + "\n"

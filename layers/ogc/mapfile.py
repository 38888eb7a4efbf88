"""Renders a MapServer mapfile (text) from resolved registry layers: pure functions, no I/O.

The mapfile carries no password: the PostGIS connection written here names host, port,
database and user only; the service adds the password in memory after loading the map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..styles import Classification, StyleClass, Symbol
from .sources import DEFAULT_EXTENT, LayerSource

OGC_SRS = "EPSG:32632 EPSG:3857 EPSG:4326 EPSG:3003 EPSG:25832 EPSG:900913"
INFO_FORMATS = "text/html,application/json,application/vnd.ogc.gml,text/plain"
_TYPES = {"POLYGON": "POLYGON", "MULTIPOLYGON": "POLYGON", "LINESTRING": "LINE", "MULTILINESTRING": "LINE",
          "POINT": "POINT", "MULTIPOINT": "POINT"}
_NUMERIC = ("integer", "bigint", "smallint", "numeric", "double precision", "real")


@dataclass(frozen=True)
class ServiceInfo:
    """Service-level metadata (from settings) and the local paths the mapfile refers to."""

    title: str
    abstract: str
    keywords: tuple[str, ...]
    organization: str
    email: str
    person: str
    fees: str
    access_constraints: str
    connection: str  # libpq keywords, without password
    fontset: str
    template_dir: str
    language: str = "ita"


def q(value) -> str:
    """A mapfile string literal (double-quoted, backslash and quote escaped, one line)."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + " ".join(text.splitlines()) + '"'


def render(layers: list[LayerSource], info: ServiceInfo, lang: str = "it") -> str:
    """The whole mapfile for ``layers`` (already filtered to what the caller may see)."""
    extent = _union([lyr.extent for lyr in layers]) if layers else DEFAULT_EXTENT
    parts = [
        "MAP",
        '  NAME "remix"',
        "  STATUS ON",
        "  SIZE 256 256",
        "  MAXSIZE 8192",
        "  UNITS METERS",
        f"  EXTENT {_extent(extent)}",
        f"  FONTSET {q(info.fontset)}",
        '  IMAGETYPE "png"',
        '  PROJECTION "init=epsg:32632" END',
        "  " + circle_symbol(),
        _OUTPUT_FORMATS,
        _web(info, extent),
        _LEGEND,
        *(_layer(lyr, info, lang) for lyr in layers),
        "END",
    ]
    return "\n".join(parts) + "\n"


def _union(extents):
    return (min(e[0] for e in extents), min(e[1] for e in extents),
            max(e[2] for e in extents), max(e[3] for e in extents))


def _extent(extent) -> str:
    """An extent rounded outwards to whole units: a feature on the data's edge must stay inside,
    since MapServer filters WFS answers by the layer extent."""
    minx, miny, maxx, maxy = extent
    return " ".join(str(int(v)) for v in (math.floor(minx), math.floor(miny), math.ceil(maxx), math.ceil(maxy)))


def _num(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


_OUTPUT_FORMATS = """  OUTPUTFORMAT NAME "png" DRIVER "AGG/PNG" MIMETYPE "image/png" IMAGEMODE RGBA TRANSPARENT ON
    EXTENSION "png" FORMATOPTION "QUANTIZE_FORCE=off" END
  OUTPUTFORMAT NAME "png8" DRIVER "AGG/PNG8" MIMETYPE "image/png; mode=8bit" IMAGEMODE RGB
    EXTENSION "png" FORMATOPTION "QUANTIZE_FORCE=on" FORMATOPTION "QUANTIZE_COLORS=256" END
  OUTPUTFORMAT NAME "jpeg" DRIVER "AGG/JPEG" MIMETYPE "image/jpeg" IMAGEMODE RGB EXTENSION "jpg" END
  OUTPUTFORMAT NAME "geojson" DRIVER "OGR/GEOJSON" MIMETYPE "application/json"
    FORMATOPTION "STORAGE=memory" FORMATOPTION "FORM=SIMPLE" FORMATOPTION "LCO:WRITE_BBOX=YES" END"""

_LEGEND = """  LEGEND
    KEYSIZE 20 12
    LABEL TYPE TRUETYPE FONT "sans" SIZE 8 COLOR 30 30 30 END
  END"""


def _web(info: ServiceInfo, extent) -> str:
    meta = {
        "ows_title": info.title,
        "ows_abstract": info.abstract,
        "ows_keywordlist": ",".join(info.keywords),
        "ows_contactorganization": info.organization,
        "ows_contactperson": info.person,
        "ows_contactelectronicmailaddress": info.email,
        "ows_fees": info.fees,
        "ows_accessconstraints": info.access_constraints,
        "ows_srs": OGC_SRS,
        "ows_extent": _extent(extent),
        "ows_enable_request": "*",
        "ows_encoding": "UTF-8",
        "ows_languages": info.language,
        "wms_getfeatureinfo_formatlist": INFO_FORMATS,
        "wms_feature_info_mime_type": "text/html",
        "wms_sld_enabled": "false",  # no remote SLD fetches: a request must never make us call out
        "wfs_getfeature_formatlist": "geojson",
        "wfs_compute_number_matched": "true",
        "wfs_maxfeatures": "",
    }
    lines = "\n".join(f"      {q(k)} {q(v)}" for k, v in meta.items() if v != "")
    return (f"  WEB\n    HEADER {q(info.template_dir + '/_header.html')}\n"
            f"    FOOTER {q(info.template_dir + '/_footer.html')}\n    METADATA\n{lines}\n    END\n  END")


def _layer(lyr: LayerSource, info: ServiceInfo, lang: str) -> str:
    title = lyr.title_en if lang == "en" else lyr.title_it
    abstract = lyr.abstract_en if lang == "en" else lyr.abstract_it
    if lyr.synthetic and not any(word in title.lower() for word in ("sintetic", "synthetic")):
        title = f"{title} ({'synthetic' if lang == 'en' else 'sintetico'})"  # users must always be told
    meta = {
        "ows_title": title,
        "ows_abstract": abstract,
        "ows_keywordlist": ",".join(lyr.keywords),
        # MapServer also filters WFS requests without BBOX by this extent: it must cover CMM, not only
        # the data as it was when the map was built (a PGT published later would be cut).
        "ows_extent": _extent(_union([lyr.extent, DEFAULT_EXTENT])),
        "ows_srs": OGC_SRS,
        "ows_attribution_title": lyr.attribution,
        "wms_include_items": "all",
    }
    meta.update(_vector_meta(lyr) if lyr.kind != "raster" else {})
    lines = "\n".join(f"      {q(k)} {q(v)}" for k, v in meta.items() if v != "")
    body = _raster_body(lyr) if lyr.kind == "raster" else _vector_body(lyr, info)
    last = len(lyr.style.classes) - 1
    classes = "\n".join(_class(c, lyr, lang, i == last) for i, c in enumerate(lyr.style.classes))
    if lyr.style.other is not None:  # MapServer draws with the first class that matches: "other" goes last
        classes += "\n" + _class(lyr.style.other, lyr, lang, False, other=True)
    classitem = f"    CLASSITEM {q(lyr.style.field)}\n" if _classitem(lyr.style, lyr) else ""
    return (
        f"  LAYER\n    NAME {q(lyr.slug)}\n{body}\n    STATUS ON\n"
        f"    EXTENT {_extent(_union([lyr.extent, DEFAULT_EXTENT]))}\n"
        f'    PROJECTION "init=epsg:{lyr.srid}" END\n'
        f"    METADATA\n{lines}\n    END\n{classitem}{classes}\n  END"
    )


def _vector_meta(lyr: LayerSource) -> dict:
    items = ",".join(c.name for c in lyr.columns)
    types = {f"gml_{c.name}_type": _gml_type(c.sql_type) for c in lyr.columns}
    return {
        "gml_include_items": items,
        "gml_featureid": lyr.key,
        "gml_geometries": "geom",
        "gml_geom_type": _gml_geom(lyr.geometry_type),
        "wfs_getfeature_formatlist": "geojson",
        "wfs_use_default_extent_for_getfeature": "false",
        **types,
    }


def _gml_type(sql_type: str) -> str:
    if sql_type in ("integer", "smallint"):
        return "Integer"
    if sql_type == "bigint":
        return "Long"
    if sql_type in ("numeric", "double precision", "real"):
        return "Real"
    if sql_type == "boolean":
        return "Boolean"
    return "Character"


def _gml_geom(geometry_type: str) -> str:
    return {"POLYGON": "polygon", "MULTIPOLYGON": "multipolygon", "POINT": "point", "MULTIPOINT": "multipoint",
            "LINESTRING": "line", "MULTILINESTRING": "multiline"}.get(geometry_type, "geometry")


def _vector_body(lyr: LayerSource, info: ServiceInfo) -> str:
    data = (f"{lyr.geom_column} FROM {lyr.qualified_table} USING UNIQUE {lyr.key} USING SRID={lyr.srid}")
    return (
        f"    TYPE {_TYPES.get(lyr.geometry_type, 'POLYGON')}\n"
        "    CONNECTIONTYPE POSTGIS\n"
        f"    CONNECTION {q(info.connection)}\n"
        f"    DATA {q(data)}\n"
        '    PROCESSING "CLOSE_CONNECTION=DEFER"\n'
        f"    TEMPLATE {q(info.template_dir + '/' + lyr.slug + '.html')}\n"
        "    TOLERANCE 4\n    TOLERANCEUNITS PIXELS"
    )


def _raster_body(lyr: LayerSource) -> str:
    return f'    TYPE RASTER\n    DATA {q(lyr.raster_path)}\n    PROCESSING "RESAMPLE=NEAREST"'


def _classitem(style: Classification, lyr: LayerSource) -> bool:
    return style.kind == "categorized" and bool(style.field) and lyr.kind != "raster"


def _class(cls: StyleClass, lyr: LayerSource, lang: str, last: bool, other: bool = False) -> str:
    name = cls.label(lang)
    expression = "" if other else _expression(cls, lyr, last)
    expr_line = f"      EXPRESSION {expression}\n" if expression else ""
    return f"    CLASS\n      NAME {q(name)}\n{expr_line}{_style_block(cls.symbol, lyr)}\n    END"


def _expression(cls: StyleClass, lyr: LayerSource, last: bool) -> str:
    """MapServer expression of a class: equality on CLASSITEM, or [min, max) — [min, max] for the
    last class, as layers.styles classifies."""
    style = lyr.style
    if style.kind == "categorized" and cls.value is not None and style.field:
        return q(cls.value)
    if style.kind != "graduated":
        return ""
    item = "[pixel]" if lyr.kind == "raster" else _numeric_item(style.field, lyr)
    if item is None:
        return ""
    # A missing value reaches MapServer as "", which compares as 0: without this term a feature with
    # no amount would fall into the lowest class instead of the "other" class that the map and QGIS use.
    terms = [f'"{item}" != ""'] if lyr.kind != "raster" else []
    if cls.min is not None:
        terms.append(f"{item} >= {cls.min!r}")
    if cls.max is not None:
        terms.append(f"{item} {'<=' if last else '<'} {cls.max!r}")
    return "(" + " AND ".join(terms) + ")" if terms else ""


def _numeric_item(field: str | None, lyr: LayerSource) -> str | None:
    """``[field]`` when the field is a known numeric column (names from the catalogue only)."""
    known = {c.name: c.sql_type for c in lyr.columns}
    if field in known and known[field] in _NUMERIC:
        return f"[{field}]"
    return None


def _style_block(sym: Symbol, lyr: LayerSource) -> str:
    """One STYLE: ``opacity`` is the fill's (as on the web map); outlines and lines are opaque."""
    alpha = f"{round(sym.opacity * 255):02x}"
    if lyr.kind == "raster":
        return f'      STYLE COLOR "{sym.fill}{alpha}" END'
    if lyr.geometry_type.endswith("LINESTRING"):
        return f'      STYLE COLOR "{sym.stroke}" WIDTH {_num(max(sym.width, 1))} END'
    parts = ["      STYLE"]
    if lyr.geometry_type.endswith("POINT"):
        parts.append(f'        SYMBOL "circle" SIZE {_num(2 * sym.radius)}')
    parts.append(f'        COLOR "{sym.fill}{alpha}"')
    if sym.width > 0:
        parts.append(f'        OUTLINECOLOR "{sym.stroke}" WIDTH {_num(sym.width)}')
    parts.append("      END")
    return "\n".join(parts)


def circle_symbol() -> str:
    """The one symbol the mapfile uses (points)."""
    return 'SYMBOL NAME "circle" TYPE ELLIPSE FILLED TRUE POINTS 1 1 END END'


def feature_info_template(lyr: LayerSource, lang: str = "it") -> str:
    """MapServer HTML template of one layer's GetFeatureInfo rows (attribute names are catalogue names)."""
    title = lyr.title_en if lang == "en" else lyr.title_it
    cells = "".join(
        f'<tr><th>{_html(c.label_en if lang == "en" else c.label_it)}</th>'
        f'<td>[item name="{c.name}" escape="html"]</td></tr>'
        for c in lyr.columns
    )
    return (f"<!-- MapServer Template -->\n<table class=\"remix-info\"><caption>{_html(title)}</caption>"
            f"{cells}</table>\n")


HEADER_TEMPLATE = ('<!-- MapServer Template -->\n<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
                   "<title>Remix GetFeatureInfo</title></head><body>\n")
FOOTER_TEMPLATE = "<!-- MapServer Template -->\n</body></html>\n"


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")

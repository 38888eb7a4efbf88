"""Renders a MapServer mapfile (text) from resolved registry layers: pure functions, no I/O.

The mapfile carries no password: the PostGIS connection written here names host, port,
database and user only; the service adds the password in memory after loading the map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from remix import db

from ..styles import Classification, StyleClass, Symbol
from .published import DEFAULT_EXTENT, LayerSource

OGC_SRS = "EPSG:32632 EPSG:3857 EPSG:4326 EPSG:3003 EPSG:25832 EPSG:900913"
INFO_FORMATS = "text/html,application/json,application/vnd.ogc.gml,text/plain"
_TYPES = {
    "POLYGON": "POLYGON",
    "MULTIPOLYGON": "POLYGON",
    "LINESTRING": "LINE",
    "MULTILINESTRING": "LINE",
    "POINT": "POINT",
    "MULTIPOINT": "POINT",
}
_NUMERIC = ("integer", "bigint", "smallint", "numeric", "double precision", "real")


# MapServer splits keyword lists on commas: a comma inside a keyword is written as this private-use
# character and turned back into a comma in the capabilities (layers.ogc.service), so it stays whole.
KEYWORD_COMMA = "\ue000"
LABEL_PREFIX = "remix_label_"  # layer metadata: an attribute's label in the map's language (never sent as is)
MAXSIZE = 4096  # largest GetMap side: an anonymous client must not make the server draw without bound


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
    position: str = ""
    phone: str = ""
    address: str = ""
    city: str = ""
    province: str = ""
    postcode: str = ""
    country: str = ""
    website: str = ""
    role: str = "pointOfContact"
    max_features: int = 10000
    metadata_url: str = ""  # the service's own metadata record (INSPIRE extended capabilities)


def keyword_list(keywords) -> str:
    """A MapServer keyword list in which every keyword stays whole (see ``KEYWORD_COMMA``)."""
    seen = []
    for keyword in keywords:
        text = " ".join(str(keyword).split())
        if text and text not in seen:
            seen.append(text)
    return ",".join(k.replace(",", KEYWORD_COMMA) for k in seen)


def q(value) -> str:
    """A mapfile string literal (double-quoted, backslash and quote escaped, one line)."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + " ".join(text.splitlines()) + '"'


def render(layers: list[LayerSource], info: ServiceInfo, lang: str = "it") -> str:
    """The whole mapfile for ``layers`` (already filtered to what the caller may see)."""
    extent = _pad(_union([lyr.extent for lyr in layers])) if layers else DEFAULT_EXTENT
    # MapServer draws in file order: rasters first, so that the vectors stay visible above them when a
    # client draws the root layer (the whole service) at once.
    ordered = [lyr for lyr in layers if lyr.kind == "raster"] + [lyr for lyr in layers if lyr.kind != "raster"]
    parts = [
        "MAP",
        '  NAME "remix"',
        "  STATUS ON",
        "  SIZE 256 256",
        f"  MAXSIZE {MAXSIZE}",
        "  UNITS METERS",
        f"  EXTENT {_extent(extent)}",
        f"  FONTSET {q(info.fontset)}",
        '  IMAGETYPE "png"',
        '  PROJECTION "init=epsg:32632" END',
        "  " + circle_symbol(),
        _OUTPUT_FORMATS,
        _web(info, extent),
        _LEGEND,
        *(_layer(lyr, info, lang, _group(lyr, layers)) for lyr in ordered),
        "END",
    ]
    return "\n".join(parts) + "\n"


def _union(extents):
    return (
        min(e[0] for e in extents),
        min(e[1] for e in extents),
        max(e[2] for e in extents),
        max(e[3] for e in extents),
    )


def _pad(extent, metres: float = 1.0):
    """The root's box, one metre wider than its layers': reprojected, each layer still nests inside."""
    return (extent[0] - metres, extent[1] - metres, extent[2] + metres, extent[3] + metres)


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
    FORMATOPTION "STORAGE=memory" FORMATOPTION "FORM=SIMPLE" FORMATOPTION "LCO:WRITE_BBOX=YES"
    FORMATOPTION "LCO:ID_FIELD=id" END"""  # each GeoJSON feature carries its key as "id" (not a property)

_LEGEND = """  LEGEND
    KEYSIZE 20 12
    LABEL TYPE TRUETYPE FONT "sans" SIZE 8 COLOR 30 30 30 END
  END"""


def _web(info: ServiceInfo, extent) -> str:
    languages = "eng,ita" if info.language == "eng" else "ita,eng"
    meta = {
        "ows_title": info.title,
        "ows_abstract": info.abstract,
        "ows_keywordlist": keyword_list(info.keywords),
        "ows_contactorganization": info.organization,
        "ows_contactperson": info.person,
        "ows_contactposition": info.position,
        "ows_contactelectronicmailaddress": info.email,
        "ows_contactvoicetelephone": info.phone,
        "ows_addresstype": "postal" if info.address else "",
        "ows_address": info.address,
        "ows_city": info.city,
        "ows_stateorprovince": info.province,
        "ows_postcode": info.postcode,
        "ows_country": info.country,
        "ows_service_onlineresource": info.website,
        "ows_role": info.role,
        "ows_fees": info.fees,
        "ows_accessconstraints": info.access_constraints,
        "ows_srs": OGC_SRS,
        "ows_extent": _extent(extent),
        # Only WMS and WFS: no WCS or SOS (the request guard refuses other services before MapServer)
        "wms_enable_request": "*",
        "wfs_enable_request": "*",
        "ows_encoding": "UTF-8",
        "ows_languages": languages,
        "ows_inspire_capabilities": "url" if info.metadata_url else "",
        "ows_inspire_metadataurl_href": info.metadata_url,
        "ows_inspire_metadataurl_format": "application/vnd.ogc.csw.GetRecordByIdResponse_xml"
        if info.metadata_url
        else "",
        "wms_getfeatureinfo_formatlist": INFO_FORMATS,
        "wms_getmap_formatlist": "image/png,image/png; mode=8bit,image/jpeg",
        "wms_feature_info_mime_type": "text/html",
        "wms_sld_enabled": "false",  # no remote SLD fetches: a request must never make us call out
        "wms_rootlayer_title": info.title,
        "wms_rootlayer_abstract": info.abstract,
        "wfs_getfeature_formatlist": "geojson",
        "wfs_compute_number_matched": "true",
        # The advertised default and largest page of a WFS GetFeature (CountDefault): clients page beyond it
        "wfs_maxfeatures": str(info.max_features),
    }
    lines = "\n".join(f"      {q(k)} {q(v)}" for k, v in meta.items() if v != "")
    return (
        f"  WEB\n    HEADER {q(info.template_dir + '/_header.html')}\n"
        f"    FOOTER {q(info.template_dir + '/_footer.html')}\n    METADATA\n{lines}\n    END\n  END"
    )


def _group(lyr: LayerSource, layers: list[LayerSource]) -> str:
    """The WMS group (one per theme, with its own legend): none when a layer is named like the theme."""
    if not lyr.theme or any(other.slug == lyr.theme for other in layers):
        return ""
    return lyr.theme


def _layer(lyr: LayerSource, info: ServiceInfo, lang: str, group: str = "") -> str:
    title = lyr.title_en if lang == "en" else lyr.title_it
    abstract = lyr.abstract_en if lang == "en" else lyr.abstract_it
    if lyr.synthetic and not any(word in title.lower() for word in ("sintetic", "synthetic")):
        title = f"{title} ({'synthetic' if lang == 'en' else 'sintetico'})"  # users must always be told
    meta = {
        "ows_title": title,
        "ows_abstract": abstract,
        "ows_keywordlist": keyword_list(lyr.keywords),
        # MapServer filters a WFS GetFeature without BBOX by this box: it covers CMM, so that data loaded
        # after the map was built is served. Capabilities tell the data's own box (remix_data_extent,
        # swapped in by layers.ogc.service), which nests in the root's, computed from the same boxes.
        "ows_extent": _extent(_union([lyr.extent, DEFAULT_EXTENT])),
        "remix_data_extent": _extent(lyr.extent),
        "ows_srs": OGC_SRS,
        "ows_attribution_title": _attribution(lyr, lang),
        "wms_include_items": ",".join(c.name for c in lyr.columns) if lyr.kind != "raster" else "all",
        "wms_group_title": (lyr.theme_en if lang == "en" else lyr.theme_it) if group else "",
        **_info_aliases(lyr, lang),
    }
    meta.update(_vector_meta(lyr) if lyr.kind != "raster" else {})
    lines = "\n".join(f"      {q(k)} {q(v)}" for k, v in meta.items() if v != "")
    body = _raster_body(lyr, info) if lyr.kind == "raster" else _vector_body(lyr, info)
    last = len(lyr.style.classes) - 1
    classes = "\n".join(_class(c, lyr, lang, i == last) for i, c in enumerate(lyr.style.classes))
    if lyr.style.other is not None:  # MapServer draws with the first class that matches: "other" goes last
        classes += "\n" + _class(lyr.style.other, lyr, lang, False, other=True)
    classitem = f"    CLASSITEM {q(lyr.style.field)}\n" if _classitem(lyr.style, lyr) else ""
    # The LAYER EXTENT covers CMM, not only the data as it was when the map was built: MapServer skips
    # a layer whose EXTENT misses the request, and a PGT published later must still be drawn.
    return (
        f"  LAYER\n    NAME {q(lyr.slug)}\n" + (f"    GROUP {q(group)}\n" if group else "") + f"{body}\n    STATUS ON\n"
        f"    EXTENT {_extent(_union([lyr.extent, DEFAULT_EXTENT]))}\n"
        f'    PROJECTION "init=epsg:{lyr.srid}" END\n'
        f"    METADATA\n{lines}\n    END\n{classitem}{classes}\n  END"
    )


def _info_aliases(lyr: LayerSource, lang: str) -> dict:
    """Labels of the attributes, which layers.ogc.service adds to the GML, JSON and text identify answers
    (not MapServer's ``wms_<item>_alias``: it would rename GML elements to labels, which are no XML names)."""
    if lyr.kind == "raster":
        return {}
    return {f"{LABEL_PREFIX}{c.name}": c.label_en if lang == "en" else c.label_it for c in lyr.columns}


def _attribution(lyr: LayerSource, lang: str) -> str:
    licence = str(lyr.metadata.get("licence") or "") if isinstance(lyr.metadata, dict) else ""
    if lyr.attribution and licence and licence.lower() not in lyr.attribution.lower():
        return f"{lyr.attribution} ({'licence' if lang == 'en' else 'licenza'} {licence})"
    return lyr.attribution or licence


def _vector_meta(lyr: LayerSource) -> dict:
    # The key goes first: GeoJSON moves it to the feature's "id" (LCO:ID_FIELD), GML has it as gml:id too.
    names = [lyr.key] + [c.name for c in lyr.columns if c.name != lyr.key]
    items = ",".join(names)
    types = {f"gml_{c.name}_type": _gml_type(c.sql_type) for c in lyr.columns}
    types.setdefault(f"gml_{lyr.key}_type", "Long")
    return {
        "gml_include_items": items,
        "gml_featureid": lyr.key,
        "gml_geometries": "geom",
        "gml_geom_type": _gml_geom(lyr.geometry_type),
        "gml_types": "auto",
        "wfs_getfeature_formatlist": "geojson",
        "wfs_use_default_extent_for_getfeature": "false",
        # Read by layers.ogc.service to sort numeric properties in PostgreSQL (never sent to clients)
        "remix_schema": lyr.schema,
        "remix_table": lyr.table,
        "remix_srid": str(lyr.srid),
        "remix_geom_column": lyr.geom_column,
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
    return {
        "POLYGON": "polygon",
        "MULTIPOLYGON": "multipolygon",
        "POINT": "point",
        "MULTIPOINT": "multipoint",
        "LINESTRING": "line",
        "MULTILINESTRING": "multiline",
    }.get(geometry_type, "geometry")


def _vector_body(lyr: LayerSource, info: ServiceInfo) -> str:
    data = postgis_data(lyr.geom_column, lyr.identifier, lyr.key, lyr.srid)
    return (
        f"    TYPE {_TYPES.get(lyr.geometry_type, 'POLYGON')}\n"
        "    CONNECTIONTYPE POSTGIS\n"
        f"    CONNECTION {q(info.connection)}\n"
        f"    DATA {q(data)}\n"
        '    PROCESSING "CLOSE_CONNECTION=DEFER"\n'
        f"    TEMPLATE {q(info.template_dir + '/' + lyr.slug + '.html')}\n"
        "    TOLERANCE 4\n    TOLERANCEUNITS PIXELS"
    )


def postgis_data(geom_column: str, relation: db.Composable, key: str, srid: int) -> str:
    """MapServer's PostGIS ``DATA``: ``<geom> FROM <relation> USING UNIQUE <key> USING SRID=<srid>``.

    ``relation`` is a table or a parenthesised subquery with an alias, composed with ``remix.db`` (identifiers
    only, no literal: rendered without a connection); the geometry column and the key are plain names
    (MapServer quotes them itself).
    """
    return f"{geom_column} FROM {relation.as_string()} USING UNIQUE {key} USING SRID={int(srid)}"


def _raster_body(lyr: LayerSource, info: ServiceInfo) -> str:
    """A raster layer, queryable (GetFeatureInfo answers the pixel's value)."""
    return (
        f'    TYPE RASTER\n    DATA {q(lyr.raster_path)}\n    PROCESSING "RESAMPLE=NEAREST"\n'
        f"    TEMPLATE {q(info.template_dir + '/' + lyr.slug + '.html')}\n"
        "    TOLERANCE 0\n    TOLERANCEUNITS PIXELS"
    )


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
    if lyr.kind == "raster":  # MapServer names a pixel's value value_0
        label = _html(lyr.value_label_en if lang == "en" else lyr.value_label_it)
        return (
            f'<!-- MapServer Template -->\n<table class="remix-info"><caption>{_html(title)}</caption>'
            f"<tr><th>{label}</th><td>[value_0]</td></tr></table>\n"
        )
    cells = "".join(
        f"<tr><th>{_html(c.label_en if lang == 'en' else c.label_it)}</th>"
        f'<td>[item name="{c.name}" escape="html"]</td></tr>'
        for c in lyr.columns
    )
    return f'<!-- MapServer Template -->\n<table class="remix-info"><caption>{_html(title)}</caption>{cells}</table>\n'


HEADER_TEMPLATE = (
    '<!-- MapServer Template -->\n<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
    "<title>Remix GetFeatureInfo</title></head><body>\n"
)
FOOTER_TEMPLATE = "<!-- MapServer Template -->\n</body></html>\n"


def _html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")

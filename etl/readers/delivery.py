"""Uploaded PGT deliveries (used by consegne): one layer of a folder of shapefiles or of a GeoPackage.

Unlike a declared source, a missing CRS or an undeclared encoding is a finding to report, not a
reason to stop, so these readers return what they found and let the caller judge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import pyarrow.types as pat
import pyogrio
from django.utils.translation import gettext_lazy as _
from pyogrio.errors import DataLayerError, DataSourceError

from ..errors import MESSAGES, SourceUnreadable
from .base import ArrowColumns, ArrowGeometries, FeatureTable, epsg_of, flattened
from .files import shapefile_encoding

log = logging.getLogger(__name__)


@dataclass
class UploadedLayer:
    """One layer of an uploaded delivery, as read, with what the validator needs to judge it."""

    name: str
    table: FeatureTable
    field_types: dict[str, str]  # upper-case field name → text | integer | real | date | other
    geometry_type: str | None
    encoding_source: str  # "cpg" (declared), "detected", or "" (not a shapefile)
    flattened: bool = False  # the file had Z or M coordinates, dropped


# What a user reads when GDAL cannot read a file: GDAL's own text names server paths and is in English
# (it goes to the log instead).
UNREADABLE_DETAIL = _("il file è danneggiato o non è nel formato atteso")


def _unreadable(path: Path, err: Exception) -> SourceUnreadable:
    log.warning("delivery file %s unreadable: %s", path.name, err)
    return SourceUnreadable(MESSAGES["unreadable"] % {"location": path.name, "detail": UNREADABLE_DETAIL})


def list_delivery_layers(path: Path) -> list[str]:
    """Layer names of a GeoPackage (or of a single shapefile)."""
    try:
        return [str(name) for name, _geom in pyogrio.list_layers(str(path))]
    except (DataSourceError, OSError, ValueError) as err:
        raise _unreadable(path, err) from err


def _arrow_kind(arrow_type) -> str:
    if pat.is_integer(arrow_type):
        return "integer"
    if pat.is_floating(arrow_type) or pat.is_decimal(arrow_type):
        return "real"
    if pat.is_string(arrow_type) or pat.is_large_string(arrow_type):
        return "text"
    if pat.is_date(arrow_type) or pat.is_timestamp(arrow_type):
        return "date"
    return "other"


def read_delivery_layer(
    path: Path, layer: str | None = None, encoding: str | None = None, encoding_source: str = ""
) -> UploadedLayer:
    """Read one layer of a delivery file; ``table.srid`` is None when the file declares no CRS.

    A shapefile is read with ``encoding`` when the caller has established it (consegne.shapefiles
    checks the .cpg against the data), else with its .cpg or the encoding detected from its records.
    """
    if path.suffix.lower() == ".shp" and encoding is None:
        encoding = shapefile_encoding(path)  # the .cpg, else UTF-8 or CP1252 detected from the records
        encoding_source = "cpg" if path.with_suffix(".cpg").is_file() else "detected"
    elif path.suffix.lower() != ".shp":
        encoding, encoding_source = None, ""
    try:
        meta, table = pyogrio.read_arrow(str(path), layer=layer, encoding=encoding)
    except (DataSourceError, DataLayerError, OSError, ValueError) as err:
        raise _unreadable(path, err) from err
    geom_col = meta.get("geometry_name") or "wkb_geometry"
    geometries, flat = None, False
    if geom_col in table.column_names:
        column, flat = flattened(table.column(geom_col))
        geometries = ArrowGeometries(column)
        table = table.drop_columns([geom_col])
    # Field names are compared upper-case (shapefiles and GeoPackages differ); the columns stay
    # Arrow arrays, staged without becoming Python objects (consegne.staging).
    names = [name.upper() for name in table.column_names]
    first = [i for i, name in enumerate(names) if name not in names[:i]]  # "nome" and "NOME": the first
    table = table.select(first).rename_columns([names[i] for i in first])
    types = {f.name: _arrow_kind(f.type) for f in table.schema}
    feature_table = FeatureTable(
        ArrowColumns(table), geometries, epsg_of(meta.get("crs")), table.num_rows, encoding or meta.get("encoding")
    )
    return UploadedLayer(layer or path.stem, feature_table, types, meta.get("geometry_type"), encoding_source, flat)

"""Readers: the only code of Remix that opens dataset files or URLs.

Each reader turns a declared location into a :class:`FeatureTable` of plain Python columns and
WKB geometries, with the CRS it found; everything after a reader works on that table.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pyogrio
from django.conf import settings
from pyogrio.errors import DataLayerError, DataSourceError
from pyproj import CRS
from pyproj.exceptions import CRSError

from .errors import MESSAGES, MissingCrs, SourceNotFound, SourceUnreadable
from .sources import Source


@dataclass
class FeatureTable:
    """What a reader returns: attribute columns, WKB geometries (or None) and their EPSG code."""

    columns: dict[str, list]
    geometries: list[bytes | None] | None
    srid: int | None
    count: int
    encoding: str | None = None


class Reader(Protocol):
    """The contract every reader fulfils."""

    def fingerprint(self) -> str:
        """A checksum of the source content: equal checksums mean an unchanged source."""

    def read(self) -> FeatureTable:
        """Read the whole source."""


def resolve_path(location: str) -> Path:
    path = Path(location)
    if not path.is_absolute():
        path = Path(settings.REMIX["DATA_DIR"]) / path
    return path


def epsg_of(crs_text: str | None) -> int | None:
    """EPSG code of a CRS given as 'EPSG:n', WKT or PROJ text; None when there is none."""
    if not crs_text:
        return None
    try:
        crs = CRS.from_user_input(crs_text)
    except CRSError:
        return None
    return crs.to_epsg(min_confidence=70)


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class OgrFileReader:
    """Any vector file GDAL reads (GeoJSON, GeoPackage, Shapefile, zipped Shapefile…)."""

    def __init__(self, source: Source, location: str | None = None):
        self.source = source
        self.path = resolve_path(location or source.location)

    def fingerprint(self) -> str:
        if not self.path.is_file():
            raise SourceNotFound(MESSAGES["not_found"] % {"location": self.path.name})
        return file_checksum(self.path)

    def _gdal_path(self) -> str:
        return f"/vsizip/{self.path}" if self.path.suffix.lower() == ".zip" else str(self.path)

    def read(self) -> FeatureTable:
        if not self.path.is_file():
            raise SourceNotFound(MESSAGES["not_found"] % {"location": self.path.name})
        try:
            meta, table = pyogrio.read_arrow(self._gdal_path(), layer=self.source.layer)
        except (DataSourceError, DataLayerError, OSError, ValueError) as err:
            raise SourceUnreadable(
                MESSAGES["unreadable"] % {"location": self.path.name, "detail": err}
            ) from err
        geom_col = meta.get("geometry_name") or "wkb_geometry"
        geometries = None
        if geom_col in table.column_names:
            geometries = table.column(geom_col).to_pylist()
            table = table.drop_columns([geom_col])
        srid = epsg_of(self.source.crs) or epsg_of(meta.get("crs"))
        if geometries is not None and srid is None:
            raise MissingCrs(MESSAGES["no_crs"] % {"location": self.path.name})
        columns = {name: table.column(name).to_pylist() for name in table.column_names}
        return FeatureTable(columns, geometries, srid, table.num_rows, meta.get("encoding"))


READERS = {"file": OgrFileReader}


def reader_for(source: Source, location: str | None = None) -> Reader:
    try:
        cls = READERS[source.reader]
    except KeyError:
        raise SourceUnreadable(f"unknown reader {source.reader!r} in source {source.id}") from None
    return cls(source, location)


# --- Uploaded deliveries (used by consegne) -------------------------------------------------------
# A delivery is a folder of shapefiles or a GeoPackage with several layers; unlike a declared source,
# a missing CRS or an odd encoding is a finding to report, not a reason to stop, so these readers
# return what they found and let the caller judge.


@dataclass
class UploadedLayer:
    """One layer of an uploaded delivery, as read, with what the validator needs to judge it."""

    name: str
    table: FeatureTable
    field_types: dict[str, str]  # upper-case field name → text | integer | real | date | other
    geometry_type: str | None
    encoding_source: str  # "cpg" (declared), "detected", or "" (not a shapefile)


def detect_dbf_encoding(dbf_path: Path) -> str:
    """UTF-8 when the .dbf text decodes as UTF-8, else CP1252 (what Italian desktop GIS writes)."""
    raw = dbf_path.read_bytes()
    header_len = int.from_bytes(raw[8:10], "little") if len(raw) > 10 else 0
    try:
        raw[header_len:].decode("utf-8")
    except UnicodeDecodeError:
        return "CP1252"
    return "UTF-8"


def list_delivery_layers(path: Path) -> list[str]:
    """Layer names of a GeoPackage (or of a single shapefile)."""
    try:
        return [str(name) for name, _geom in pyogrio.list_layers(str(path))]
    except (DataSourceError, OSError, ValueError) as err:
        raise SourceUnreadable(MESSAGES["unreadable"] % {"location": path.name, "detail": err}) from err


def _arrow_kind(arrow_type) -> str:
    import pyarrow.types as pat

    if pat.is_integer(arrow_type):
        return "integer"
    if pat.is_floating(arrow_type) or pat.is_decimal(arrow_type):
        return "real"
    if pat.is_string(arrow_type) or pat.is_large_string(arrow_type):
        return "text"
    if pat.is_date(arrow_type) or pat.is_timestamp(arrow_type):
        return "date"
    return "other"


def read_delivery_layer(path: Path, layer: str | None = None) -> UploadedLayer:
    """Read one layer of a delivery file; ``srid`` is None when the file declares no CRS."""
    encoding, encoding_source = None, ""
    if path.suffix.lower() == ".shp":
        cpg = path.with_suffix(".cpg")
        encoding_source = "cpg" if cpg.is_file() else "detected"
        if not cpg.is_file() and path.with_suffix(".dbf").is_file():
            encoding = detect_dbf_encoding(path.with_suffix(".dbf"))
    try:
        meta, table = pyogrio.read_arrow(str(path), layer=layer, encoding=encoding)
    except (DataSourceError, DataLayerError, OSError, ValueError) as err:
        raise SourceUnreadable(MESSAGES["unreadable"] % {"location": path.name, "detail": err}) from err
    geom_col = meta.get("geometry_name") or "wkb_geometry"
    geometries = None
    if geom_col in table.column_names:
        geometries = table.column(geom_col).to_pylist()
        table = table.drop_columns([geom_col])
    types = {f.name.upper(): _arrow_kind(f.type) for f in table.schema}
    columns = {name.upper(): table.column(name).to_pylist() for name in table.column_names}
    feature_table = FeatureTable(columns, geometries, epsg_of(meta.get("crs")), table.num_rows,
                                 encoding or meta.get("encoding"))
    return UploadedLayer(layer or path.stem, feature_table, types, meta.get("geometry_type"), encoding_source)

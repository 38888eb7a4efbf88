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

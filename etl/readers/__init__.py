"""Readers: the only code of Remix that opens dataset files or URLs.

Each reader turns a declared location into a :class:`FeatureTable` of plain Python columns and
WKB geometries, with the CRS it found; everything after a reader works on that table.
"""

from __future__ import annotations

from ..errors import DeclarationError
from ..sources import Source
from .base import FeatureTable, Reader, epsg_of, file_checksum, resolve_path
from .files import OgrFileReader
from .raster import RasterReader
from .tabular import TabularReader

READERS: dict[str, type] = {"file": OgrFileReader, "table": TabularReader, "raster": RasterReader}


def register(name: str):
    """Class decorator adding a reader under ``name`` (the remote and raster modules use it)."""

    def deco(cls):
        READERS[name] = cls
        return cls

    return deco


def reader_for(source: Source, location: str | None = None) -> Reader:
    from . import remote  # noqa: F401 - registers the remote readers

    try:
        cls = READERS[source.reader]
    except KeyError:
        raise DeclarationError(f"unknown reader {source.reader!r} in source {source.id}") from None
    return cls(source, location)


__all__ = ["FeatureTable", "READERS", "Reader", "epsg_of", "file_checksum", "reader_for", "resolve_path"]

"""Readers: the only code of Remix that opens dataset files or URLs.

Each reader turns a declared location into a :class:`FeatureTable` of Arrow columns and WKB
geometries, with the CRS it found; everything after a reader works on that table. Each reader
module registers its classes under the names declarations use (``reader: file``…).
"""

from __future__ import annotations

from ..declarations import Source
from ..errors import DeclarationError
from . import files, raster, remote, tabular  # noqa: F401 - they register their readers
from .base import READERS, FeatureTable, Reader, epsg_of, file_checksum, register, resolve_path


def reader_for(source: Source, location: str | None = None) -> Reader:
    try:
        cls = READERS[source.reader]
    except KeyError:
        raise DeclarationError(f"unknown reader {source.reader!r} in source {source.id}") from None
    return cls(source, location)


__all__ = [
    "READERS",
    "FeatureTable",
    "Reader",
    "epsg_of",
    "file_checksum",
    "reader_for",
    "register",
    "resolve_path",
]

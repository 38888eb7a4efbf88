"""What every reader shares: the FeatureTable it returns, paths, checksums and CRS detection."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pyarrow as pa
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError

from .. import conf
from ..declarations import Source
from ..errors import MESSAGES, SourceNotFound, SourceUnreadable


class ArrowColumns(Mapping):
    """A reader's attribute columns, by name: the Arrow columns of ``table``.

    Converting every column of a large file to Python objects took longer than reading it, so
    nothing here does: ``etl.convert`` works on ``table`` column-wise.
    """

    def __init__(self, table: pa.Table):
        self.table = table

    def __getitem__(self, name: str) -> pa.ChunkedArray:
        if name not in self.table.column_names:
            raise KeyError(name)
        return self.table.column(name)

    def __contains__(self, name) -> bool:
        return name in self.table.column_names

    def __iter__(self):
        return iter(self.table.column_names)

    def __len__(self) -> int:
        return self.table.num_columns

    def with_constant(self, name: str, value: str) -> ArrowColumns:
        """A text column holding ``value`` on every row, built in Arrow (not as a Python list)."""
        indices = pa.array(np.zeros(self.table.num_rows, dtype=np.int32))
        column = pa.DictionaryArray.from_arrays(indices, pa.array([value], pa.string())).cast(pa.string())
        return ArrowColumns(self.table.append_column(name, column))


class ArrowGeometries(Sequence):
    """WKB geometries kept in one Arrow array; a Python list is made only if someone iterates.

    The staging path sends the array directly (``etl.staging.stage``: WKB in a binary COPY, hex in a
    CSV one), so a large file's geometries never become Python bytes objects.
    """

    def __init__(self, array):
        self.array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
        self._list: list | None = None

    def _values(self) -> list:
        if self._list is None:
            self._list = self.array.to_pylist()
        return self._list

    def __len__(self) -> int:
        return len(self.array)

    def __getitem__(self, index):
        return self._values()[index]

    def __iter__(self):
        return iter(self._values())


def flattened(array: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, bool]:
    """WKB geometries with their Z and M coordinates dropped, and whether there were any.

    Everything is stored in 2D; a 3D shapefile (common from CAD) would otherwise be refused by
    the typed geometry columns. Only the type word of each WKB header is looked at (numpy over
    the Arrow buffers), so 2D data, the usual case, is returned as it is without being parsed.
    """
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    wkb = array.cast(pa.large_binary())
    if wkb.offset:
        wkb = pa.concat_arrays([wkb])
    offsets = np.frombuffer(wkb.buffers()[1], dtype=np.int64)[: len(wkb) + 1]
    data = np.frombuffer(wkb.buffers()[2], dtype=np.uint8) if wkb.buffers()[2] else np.empty(0, np.uint8)
    starts = offsets[:-1][np.diff(offsets) >= 5]  # nulls and empty values have no header
    if not len(starts):
        return array, False
    word = [data[starts + i].astype(np.uint32) for i in range(1, 5)]
    little = data[starts] == 1
    kind = np.where(
        little,
        word[0] | word[1] << 8 | word[2] << 16 | word[3] << 24,
        word[3] | word[2] << 8 | word[1] << 16 | word[0] << 24,
    )
    # ISO WKB adds 1000 (Z), 2000 (M) or 3000 (ZM) to the type; EWKB and GDAL's 2.5D set high bits.
    if not ((kind & 0xC0000000) | ((kind & 0xFFFF) >= 1000)).any():
        return array, False
    geoms = shapely.force_2d(shapely.from_wkb(wkb.to_numpy(zero_copy_only=False), on_invalid="ignore"))
    return pa.array(shapely.to_wkb(geoms), pa.binary()), True


@dataclass
class FeatureTable:
    """What a reader returns: attribute columns and WKB geometries (or None), both Arrow, and their EPSG code."""

    columns: ArrowColumns
    geometries: ArrowGeometries | None
    srid: int | None
    count: int
    encoding: str | None = None


class Reader(Protocol):
    """The contract every reader fulfils."""

    source: Source

    def fingerprint(self) -> str:
        """A checksum of the source content: equal checksums mean an unchanged source."""

    def read(self) -> FeatureTable:
        """Read the whole source."""

    def archive_path(self) -> Path | None:
        """The local file a version can be restored from (after fingerprint/read), if any."""


READERS: dict[str, type] = {}  # reader name in a declaration → class, filled by :func:`register`


def register(name: str):
    """Class decorator adding a reader under ``name``."""

    def deco(cls):
        READERS[name] = cls
        return cls

    return deco


def resolve_path(location: str) -> Path:
    path = Path(location)
    if not path.is_absolute():
        path = Path(conf.DATA_DIR) / path
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


def arrow_column(values: list) -> pa.Array:
    """An Arrow column of Python values (a CSV or spreadsheet column), of their type when they share one.

    A column mixing types (numbers and text in one spreadsheet column) is read as text, each value
    written as the converters read it: ``3`` for 3.0, ISO dates.
    """
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else _cell_text(v) for v in values], pa.string())


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def concat(tables: list[FeatureTable]) -> FeatureTable:
    """One table out of several (layers of one file, pages of a service): union of the columns."""
    merged = pa.concat_tables([t.columns.table for t in tables], promote_options="permissive")
    with_geom = [t for t in tables if t.geometries is not None]
    geometries = None
    if with_geom:
        geometries = ArrowGeometries(
            pa.concat_arrays(
                [
                    t.geometries.array.cast(pa.large_binary())
                    if t.geometries is not None
                    else pa.nulls(t.count, pa.large_binary())
                    for t in tables
                ]
            )
        )
    srids = {t.srid for t in with_geom}
    if len(srids) > 1:
        raise SourceUnreadable(f"strati con sistemi di riferimento diversi: {sorted(map(str, srids))}")
    encoding = tables[0].encoding if tables else None
    return FeatureTable(ArrowColumns(merged), geometries, srids.pop() if srids else None, merged.num_rows, encoding)


class LocalFileReader:
    """Base of the readers of one local file: where it is, whether it is there, its checksum."""

    def __init__(self, source: Source, location: str | None = None):
        self.source = source
        self.path = resolve_path(location or source.location)

    def require_file(self) -> Path:
        """The file's path; a clear error when it does not exist."""
        if not self.path.is_file():
            raise SourceNotFound(MESSAGES["not_found"] % {"location": self.path.name})
        return self.path

    def fingerprint(self) -> str:
        return file_checksum(self.require_file())

    def archive_path(self) -> Path:
        return self.path

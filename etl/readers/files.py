"""Vector files GDAL reads: GeoPackage, GeoJSON, Shapefile (plain or zipped), honouring encodings."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pyogrio
from pyogrio.errors import DataLayerError, DataSourceError

from ..errors import MESSAGES, MissingCrs, SourceUnreadable
from .base import (
    ArrowColumns,
    ArrowGeometries,
    FeatureTable,
    LocalFileReader,
    concat,
    epsg_of,
    flattened,
    register,
)

LAYER_COLUMN = "_layer"  # added when a source reads several layers of one file


def shapefile_encoding(path: Path) -> str | None:
    """The .dbf encoding of a (zipped) Shapefile: its .cpg, else UTF-8 if it decodes, else CP1252.

    Municipal deliveries often lack the .cpg; GDAL then guesses from the .dbf header, which
    old tools leave empty, and accented names come out garbled. Decoding the records decides.
    """
    if path.suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                cpg = next((n for n in names if n.lower().endswith(".cpg")), None)
                dbf = next((n for n in names if n.lower().endswith(".dbf")), None)
                if cpg:
                    return _cpg_encoding(zf.read(cpg))
                return _guess(zf.read(dbf)) if dbf else None
        except (zipfile.BadZipFile, OSError, EOFError) as err:
            raise SourceUnreadable(
                MESSAGES["unreadable"] % {"location": path.name, "detail": f"archivio zip danneggiato ({err})"}
            ) from err
    if path.suffix.lower() == ".shp":
        cpg, dbf = path.with_suffix(".cpg"), path.with_suffix(".dbf")
        if cpg.is_file():
            return _cpg_encoding(cpg.read_bytes())
        return _guess(dbf.read_bytes()) if dbf.is_file() else None
    return None


def _cpg_encoding(raw: bytes) -> str:
    text = raw.decode("ascii", "ignore").strip().upper()
    return {"UTF8": "UTF-8", "1252": "CP1252", "ANSI 1252": "CP1252"}.get(text, text or "UTF-8")


def _guess(dbf: bytes) -> str:
    header_len = int.from_bytes(dbf[8:10], "little") if len(dbf) > 10 else 0
    try:
        dbf[header_len:].decode("utf-8")
    except UnicodeDecodeError:
        return "CP1252"
    return "UTF-8"


@register("file")
class OgrFileReader(LocalFileReader):
    """Any vector file GDAL reads; ``options.layers: "*"`` (or a list) reads several layers."""

    def _gdal_path(self) -> str:
        return f"/vsizip/{self.path}" if self.path.suffix.lower() == ".zip" else str(self.path)

    def _unreadable(self, detail) -> SourceUnreadable:
        return SourceUnreadable(MESSAGES["unreadable"] % {"location": self.path.name, "detail": detail})

    def read(self) -> FeatureTable:
        self.require_file()
        encoding = shapefile_encoding(self.path)
        wanted = self.source.options.get("layers")
        if not wanted:
            return self._read_layer(self.source.layer, encoding)
        names = self._layer_names() if wanted == "*" else list(wanted)
        tables = []
        for name in names:
            table = self._read_layer(name, encoding)
            table.columns = table.columns.with_constant(LAYER_COLUMN, name)
            tables.append(table)
        return concat(tables)

    def _layer_names(self) -> list[str]:
        try:
            return [str(row[0]) for row in pyogrio.list_layers(self._gdal_path())]
        except (DataSourceError, OSError, ValueError) as err:
            raise self._unreadable(err) from err

    def _read_layer(self, layer: str | None, encoding: str | None) -> FeatureTable:
        try:
            meta, table = pyogrio.read_arrow(self._gdal_path(), layer=layer, encoding=encoding)
        except (DataSourceError, DataLayerError, OSError, ValueError, UnicodeDecodeError) as err:
            raise self._unreadable(err) from err
        geom_col = meta.get("geometry_name") or "wkb_geometry"
        geometries = None
        if geom_col in table.column_names:
            geometries = ArrowGeometries(flattened(table.column(geom_col))[0])
            table = table.drop_columns([geom_col])
        srid = epsg_of(self.source.crs) or epsg_of(meta.get("crs"))
        if geometries is not None and srid is None:
            raise MissingCrs(MESSAGES["no_crs"] % {"location": self.path.name})
        return FeatureTable(ArrowColumns(table), geometries, srid, table.num_rows, encoding or meta.get("encoding"))

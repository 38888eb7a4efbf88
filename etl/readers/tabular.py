"""CSV and XLSX tables, optionally with coordinates (x/y columns) or WKT geometries."""

from __future__ import annotations

import csv
import io

import pyarrow as pa
import shapely
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from ..errors import MESSAGES, MissingCrs, SourceUnreadable
from .base import ArrowColumns, ArrowGeometries, FeatureTable, LocalFileReader, arrow_column, epsg_of, register


def decode(raw: bytes) -> tuple[str, str]:
    """Text of a CSV file: UTF-8 (with or without BOM) when it decodes, else CP1252 (Excel's)."""
    try:
        return raw.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError:
        return raw.decode("cp1252", "replace"), "CP1252"


@register("table")
class TabularReader(LocalFileReader):
    """``options``: ``x``/``y`` coordinate columns or ``wkt`` column; ``sheet`` for XLSX."""

    def read(self) -> FeatureTable:
        self.require_file()
        if self.path.suffix.lower() in (".xlsx", ".xlsm"):
            header, rows, encoding = self._xlsx()
        else:
            header, rows, encoding = self._csv()
        columns = {name: [row[i] if i < len(row) else None for row in rows] for i, name in enumerate(header)}
        geometries, srid = self._geometries(columns, len(rows))
        arrow = pa.table({name: arrow_column(values) for name, values in columns.items()})
        geometries = ArrowGeometries(pa.array(geometries, pa.binary())) if geometries is not None else None
        return FeatureTable(ArrowColumns(arrow), geometries, srid, len(rows), encoding)

    def _csv(self):
        text, encoding = decode(self.path.read_bytes())
        if not text.strip():
            return [], [], encoding
        # The delimiter is the one the header uses most: csv.Sniffer misreads quoted text.
        first = text.splitlines()[0]
        delimiter = self.source.options.get("delimiter") or max(",;\t|", key=first.count)
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
        except csv.Error as err:
            raise SourceUnreadable(MESSAGES["unreadable"] % {"location": self.path.name, "detail": err}) from err
        header = [h.strip() for h in rows[0]]
        body = [[None if v == "" else v for v in r] for r in rows[1:] if any(v.strip() for v in r)]
        return header, body, encoding

    def _xlsx(self):
        try:
            book = load_workbook(self.path, read_only=True, data_only=True)
        except (InvalidFileException, OSError, KeyError, ValueError) as err:
            raise SourceUnreadable(MESSAGES["unreadable"] % {"location": self.path.name, "detail": err}) from err
        sheet = book[self.source.options["sheet"]] if "sheet" in self.source.options else book.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        book.close()
        if not rows:
            return [], [], None
        header = [str(h).strip() if h is not None else f"col{i}" for i, h in enumerate(rows[0])]
        return header, [r for r in rows[1:] if any(v not in (None, "") for v in r)], None

    def _geometries(self, columns: dict, count: int):
        opts = self.source.options
        if "wkt" in opts:
            geoms = [self._wkt(v, i) for i, v in enumerate(columns.get(opts["wkt"], [None] * count))]
        elif "x" in opts and "y" in opts:
            xs, ys = columns.get(opts["x"], [None] * count), columns.get(opts["y"], [None] * count)
            geoms = [_point(x, y) for x, y in zip(xs, ys, strict=True)]
        else:
            return None, None
        srid = epsg_of(self.source.crs)
        if srid is None:
            raise MissingCrs(MESSAGES["no_crs"] % {"location": self.path.name})
        return geoms, srid

    def _wkt(self, value, index: int) -> bytes | None:
        if value in (None, ""):
            return None
        try:
            return shapely.to_wkb(shapely.from_wkt(str(value)))
        except shapely.errors.GEOSException:
            return None  # staged as an empty geometry: rejected with its reason


def _point(x, y) -> bytes | None:
    try:
        fx, fy = float(str(x).replace(",", ".")), float(str(y).replace(",", "."))
    except (TypeError, ValueError):
        return None
    return shapely.to_wkb(shapely.Point(fx, fy))

"""Turn a reader's Arrow table into the staging rows of a source, rejecting what cannot convert.

One module, one set of rules per kind of target field, two ways to apply them:

- :func:`arrow_rows` converts whole columns with Arrow's vectorised kernels (trimmed text,
  too-long text nulled with its reason, integers, constants, the collected attributes as JSON
  text) — the way almost every load goes, without a Python object per value;
- :func:`value_rows` is the explicit row-by-row path, for what has no vectorised form (names
  matched against reference rows, lists split on a separator, dates, decimals, booleans, a
  float into a text field, text with control characters…): each value goes through the
  converter of its field (:func:`converter_for`).

Both return the same staging table, ``(_row, *fields, _geom, _error)``: a value that does not
convert is staged as NULL and its row carries the reason, so that the row is rejected in SQL
with its natural key still known. ``etl.staging.stage`` sends either with ``remix.db.copy``.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from django.db.models import ForeignKey
from psycopg.types.json import Jsonb

from remix.db import copy

from .errors import EtlError, SourceUnreadable
from .matching import NameIndex

SLICE_ROWS = 50_000  # converted while the previous slice is being parsed by PostgreSQL
TEXT_FIELDS = ("CharField", "TextField", "SlugField")
INTEGER_FIELDS = ("IntegerField", "SmallIntegerField", "BigIntegerField")
CONSTANT_TYPES = (str, int, float, bool)
TRUE = {"1", "true", "t", "yes", "y", "si", "sì", "vero"}
FALSE = {"0", "false", "f", "no", "n", "falso"}


class ConversionError(EtlError, ValueError):
    """A value that does not fit the target field; the message is the reject reason."""


def _text(value, fld):
    if value is None:
        return None if fld.null else ""
    text = str(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if fld.max_length and len(text) > fld.max_length:
        raise ConversionError(too_long(fld))
    return text


def too_long(fld) -> str:
    """The reject reason of a text longer than its field."""
    return f"{fld.name}: testo più lungo di {fld.max_length} caratteri"


def _int(value, fld):
    if value is None or value == "":
        return None
    try:
        number = float(str(value).replace(",", ".")) if not isinstance(value, int) else value
    except ValueError:
        raise ConversionError(f"{fld.name}: «{value}» non è un numero intero") from None
    if number != int(number):
        raise ConversionError(f"{fld.name}: «{value}» non è un numero intero")
    return int(number)


def _decimal(value, fld):
    if value is None or value == "":
        return None
    text = str(value).replace(",", ".") if isinstance(value, str) else repr(value)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ConversionError(f"{fld.name}: «{value}» non è un numero") from None


def _float(value, fld):
    if value is None or value == "":
        return None
    try:
        return float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)
    except ValueError:
        raise ConversionError(f"{fld.name}: «{value}» non è un numero") from None


def _bool(value, fld):
    if value is None or value == "":
        return None
    if isinstance(value, bool | int):
        return bool(value)
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ConversionError(f"{fld.name}: «{value}» non è un valore vero/falso")


def _date(value, fld):
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y/%m/%d", "%Y%m%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ConversionError(f"{fld.name}: «{value}» non è una data")


def _json(value, fld):
    """A JSON value wrapped for psycopg, so text and binary COPY both send real JSON."""
    if value is None:
        return Jsonb({})
    return Jsonb(value if not isinstance(value, str) else json.loads(value), dumps=_dumps)


CONVERTERS = {
    "CharField": _text,
    "TextField": _text,
    "SlugField": _text,
    "URLField": _text,
    "IntegerField": _int,
    "SmallIntegerField": _int,
    "BigIntegerField": _int,
    "PositiveIntegerField": _int,
    "PositiveSmallIntegerField": _int,
    "DecimalField": _decimal,
    "FloatField": _float,
    "BooleanField": _bool,
    "DateField": _date,
    "JSONField": _json,
}


def _matched(conv, fmap):
    """Wrap ``conv`` so a name is first replaced by the value of the reference row it names."""
    index = NameIndex(fmap.match, fmap.to or "pk")

    def match(value, fld):
        if value is None or value == "":
            return conv(value, fld)
        found = index.get(value)
        if found is None:
            raise ConversionError(f"{fmap.target}: «{value}» non corrisponde a nessun {index.describe()}")
        return conv(found, fld)

    return match


def converter_for(fld, fmap):
    """A function value -> staged value for one target field."""
    if fmap.collect is not None:
        return None  # built column-wise by _collected
    if isinstance(fld, ForeignKey):  # the key as text: None or "" → NULL, anything else stripped
        return lambda v: None if v in (None, "") else str(v).strip()
    base = getattr(fld, "base_field", None)
    if base is not None:  # ArrayField: split text on the declared separator
        item = CONVERTERS[base.get_internal_type()]
        if fmap.match:
            item = _matched(item, fmap)
        sep = fmap.split or ";"

        def array(value):
            if value is None or value == "":
                return []
            parts = value if isinstance(value, list) else str(value).split(sep)
            return [item(p.strip() if isinstance(p, str) else p, base) for p in parts if str(p).strip()]

        return array
    try:
        conv = CONVERTERS[fld.get_internal_type()]
    except KeyError:
        raise ConversionError(f"{fld.name}: tipo di campo non supportato") from None
    if fmap.match:
        conv = _matched(conv, fmap)
    return lambda v: conv(v, fld)


def collected_names(fmap, table, mapped: set[str]) -> list[str]:
    """The columns a ``collect`` field gathers: the listed ones the table has, or with ``"*"`` every
    column no other field maps (except the reader's own ``_…`` columns)."""
    if fmap.collect == ("*",):
        return [c for c in table.columns if c not in mapped and not c.startswith("_")]
    return [c for c in fmap.collect if c in table.columns]


def check_columns(source, table) -> None:
    """A clear error when the source lacks a column a field is declared to read."""
    for fmap in source.fields:
        if fmap.collect is None and fmap.source is not None and fmap.source not in table.columns:
            raise SourceUnreadable(f"Nella sorgente manca la colonna «{fmap.source}» richiesta per «{fmap.target}».")


def binary_kinds(target) -> list[str] | None:
    """Binary COPY kind of each mapped staging column, or None when one is not sent in binary."""
    kinds = [copy.binary_type(target.stage_type(c)) for c in target.source.target_fields]
    return kinds if all(k in copy.ARROW_BINARY_KINDS for k in kinds) else None


def has_duplicate_keys(rows: pa.Table, key: list[str]) -> bool:
    """Whether two rows share a natural key (nulls count as equal, as in SQL's GROUP BY).

    Validation only removes rows and never changes a key, so when this says no, the SQL
    duplicate check (a hash aggregate over the whole stage) can be skipped.
    """
    groups = rows.select(key).group_by(key).aggregate([([], "count_all")])
    return groups.num_rows < rows.num_rows


def _staging_table(start: int, columns: list, geometry: pa.Array, error: pa.Array, fields: list[str]) -> pa.Table:
    rows = pa.array(np.arange(start + 1, start + len(geometry) + 1, dtype=np.int32))
    return pa.table([rows, *columns, geometry, error], names=["_row", *fields, "_geom", "_error"])


def wkb(table, start: int, count: int) -> pa.Array:
    """The WKB of a slice of the table's geometries (nulls without geometries), as large_binary."""
    if table.geometries is None:
        return pa.nulls(count, pa.large_binary())
    return table.geometries.array.slice(start, count).cast(pa.large_binary())


# The Arrow path -----------------------------------------------------------------------------------


def converters(source, target) -> dict:
    """The converter of each field (:func:`converter_for`) by target name. Made before a COPY starts:
    a name index reads its reference rows, which the connection cannot do while it is copying."""
    return {f.target: converter_for(target.fields[f.target], f) for f in source.fields}


def arrow_rows(source, target, table, start=0, length=None, convs: dict | None = None) -> pa.Table | None:
    """Staging rows of a slice of ``table`` converted column-wise; None when a field needs the
    row-by-row path (:func:`value_rows`). ``convs``: :func:`converters`, for constants."""
    convs = convs if convs is not None else converters(source, target)
    arrow = table.columns.table.slice(start, length)
    count = arrow.num_rows
    mapped = {f.source for f in source.fields if f.source}
    columns, errors = [], []
    try:
        for fmap in source.fields:
            fld = target.fields[fmap.target]
            if fmap.collect is not None:
                names = collected_names(fmap, table, mapped)
                columns.append(copy.json_objects([(n, _column(arrow, n)) for n in names], count))
            elif fmap.source is None:
                columns.append(_constant(convs[fmap.target], fmap.value, count))
            elif fmap.match or fmap.split or fmap.source not in arrow.column_names:
                return None
            else:
                value, error = _arrow_field(fld, _column(arrow, fmap.source))
                columns.append(value)
                if error is not None:
                    errors.append(error)
    except copy.Unsupported:
        return None
    error = pc.coalesce(*errors) if errors else pa.nulls(count, pa.string())
    return _staging_table(start, columns, wkb(table, start, count), error, source.target_fields)


def _column(arrow: pa.Table, name: str) -> pa.Array:
    # One contiguous array: element-wise kernels mixing scalars and differently chunked
    # columns returned wrong lengths in testing.
    return arrow.column(name).combine_chunks()


def _constant(convert, value, count: int) -> pa.Array:
    staged = convert(value)
    if staged is None:
        return pa.nulls(count, pa.string())
    if not isinstance(staged, CONSTANT_TYPES):
        raise copy.Unsupported("a constant Arrow cannot repeat")
    return pa.array([staged] * count)


def _arrow_field(fld, column: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    """(staged value, error or null) of one mapped column: the rules of :func:`converter_for`, column-wise."""
    if isinstance(fld, ForeignKey):
        empty = pc.equal(column, "") if _is_text(column.type) else pa.scalar(False)
        return pc.if_else(empty, pa.scalar(None, pa.string()), as_text(column)), None
    kind = fld.get_internal_type()
    if kind in INTEGER_FIELDS and pa.types.is_integer(column.type):
        return column, None
    if kind not in TEXT_FIELDS:
        raise copy.Unsupported(kind)
    text = as_text(column)
    if not fld.null:
        text = text.fill_null("")
    if not fld.max_length:
        return text, None
    longer = pc.fill_null(pc.greater(pc.utf8_length(text), fld.max_length), False)
    if not pc.any(longer).as_py():
        return text, None
    return (
        pc.if_else(longer, pa.scalar(None, pa.string()), text),
        pc.if_else(longer, too_long(fld), pa.scalar(None, pa.string())),
    )


def _is_text(t) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def as_text(column: pa.Array) -> pa.Array:
    """Text as a text field stores it: trimmed; integers printed. Anything else is :class:`copy.Unsupported`."""
    if _is_text(column.type):
        return pc.utf8_trim_whitespace(column)
    if pa.types.is_integer(column.type):
        return pc.cast(column, pa.string())
    raise copy.Unsupported(f"{column.type} as text")  # floats print differently ("1.0" → "1"): value by value


# The row-by-row path ------------------------------------------------------------------------------


def value_rows(source, target, table, start=0, length=None, convs: dict | None = None) -> pa.Table:
    """Staging rows of a slice of ``table``, every value through its field's converter (``convs``:
    :func:`converters`).

    Integer columns stay integers; every other value is staged as the text PostgreSQL reads
    for its column (:func:`pg_text`).
    """
    check_columns(source, table)
    convs = convs if convs is not None else converters(source, target)
    arrow = table.columns.table.slice(start, length)
    count = arrow.num_rows
    mapped = {f.source for f in source.fields if f.source}
    columns, errors = [], {}
    for fmap in source.fields:
        conv = convs[fmap.target]
        if fmap.collect is not None:
            values = _collected(arrow, collected_names(fmap, table, mapped))
        elif fmap.source is None:
            values = [conv(fmap.value)] * count
        else:
            values = _converted(arrow.column(fmap.source).to_pylist(), conv, errors)
        columns.append(_staged(values, target.stage_type(fmap.target)))
    error = pa.array([errors.get(i) for i in range(count)], pa.string())
    return _staging_table(start, columns, wkb(table, start, count), error, source.target_fields)


def _converted(values: list, conv, errors: dict[int, str]) -> list:
    """Convert one column; a value that does not convert becomes NULL and marks its row."""
    out = []
    append = out.append
    for i, value in enumerate(values):
        try:
            append(conv(value))
        except ConversionError as err:
            append(None)
            errors.setdefault(i, str(err))
    return out


def _collected(arrow: pa.Table, names: list[str]) -> list[Jsonb]:
    """The JSON object of each row's non-null collected values.

    Most columns of a multi-layer file are null on most rows, so each column only visits its
    non-null rows instead of every row visiting every column.
    """
    objects: list[dict] = [{} for _ in range(arrow.num_rows)]
    for name in names:
        column = arrow.column(name)
        valid = pc.is_valid(column)
        rows, values = pc.indices_nonzero(valid).to_pylist(), pc.filter(column, valid).to_pylist()
        for i, value in zip(rows, values, strict=True):
            objects[i][name] = value
    return [Jsonb(o, dumps=_dumps) for o in objects]


def _staged(values: list, stage_type: str) -> pa.Array:
    """A converted column as Arrow: integers as integers (binary COPY sends them), the rest as text."""
    if copy.binary_type(stage_type) in copy.INT_WIDTHS:
        try:
            return pa.array(values, pa.int64())
        except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
            pass  # beyond int64: as text, for PostgreSQL to judge
    return pa.array([pg_text(v) for v in values], pa.string())


def pg_text(value) -> str | None:
    """A converted value as the text PostgreSQL's input functions read (arrays as ``{"a","b"}``)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Jsonb):
        return _dumps(value.obj)
    if isinstance(value, list):
        items = (
            "NULL" if v is None else '"' + pg_text(v).replace("\\", "\\\\").replace('"', '\\"') + '"' for v in value
        )
        return "{" + ",".join(items) + "}"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)  # int, Decimal


def _dumps(obj) -> str:
    return orjson.dumps(obj, default=jsonable).decode()


def jsonable(value):
    if isinstance(value, dt.date | Decimal | dt.time):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value

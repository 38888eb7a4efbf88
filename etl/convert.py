"""Turn a reader's columns into typed rows for the staging table, rejecting what cannot convert."""

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

from .errors import EtlError, SourceUnreadable
from .matching import NameIndex

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
        raise ConversionError(f"{fld.name}: testo più lungo di {fld.max_length} caratteri")
    return text


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
    if isinstance(fld, ForeignKey):
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


def _collected(fmap, table, mapped: set[str]) -> list[str]:
    """The JSON text of the collected columns of every row (nulls left out), built column-wise.

    Most columns of a multi-layer file are null on most rows, so each column only visits its
    non-null rows (found by numpy) instead of every row visiting every column.
    """
    names = (
        [c for c in table.columns if c not in mapped and not c.startswith("_")]
        if fmap.collect == ("*",)
        else list(fmap.collect)
    )
    objects: list[dict] = [{} for _ in range(table.count)]
    fast = getattr(table.columns, "nonnull", None)
    for name in names:
        if name not in table.columns:
            continue
        if fast is not None:
            rows, values = fast(name)
        else:
            array = np.array(table.columns[name], dtype=object)
            rows = np.flatnonzero(array != None).tolist()  # noqa: E711 - element-wise null test
            values = array[rows].tolist()
        for i, value in zip(rows, values, strict=True):
            objects[i][name] = value
    return [Jsonb(o, dumps=_dumps) for o in objects]


def _dumps(obj) -> str:
    return orjson.dumps(obj, default=jsonable).decode()


def _arrow_text(table, fmap, fld) -> list | None:
    """A plain text column converted by Arrow (trim, nulls) when no value can fail; else None."""
    arrow = getattr(table.columns, "table", None)
    if arrow is None or fmap.match or fld.get_internal_type() not in ("CharField", "TextField", "SlugField"):
        return None
    column = arrow.column(fmap.source)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        return None
    column = pc.utf8_trim_whitespace(column)
    if fld.max_length and (pc.max(pc.utf8_length(column)).as_py() or 0) > fld.max_length:
        return None  # the row-by-row path names the rows that are too long
    if not fld.null:
        column = column.fill_null("")
    return column.to_pylist()


def _column(values, conv, errors: dict[int, str]) -> list:
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


def rows_for(source, target, table) -> list[tuple]:
    """Rows ``(_row, *values, geometry_wkb, error)`` in declaration order, converted column-wise.

    A value that does not convert is staged as NULL and its row carries the error, so that the
    row is rejected in SQL with its natural key still known.
    """
    columns, errors = [], {}
    mapped = {f.source for f in source.fields if f.source}
    for fmap in source.fields:
        conv = converter_for(target.fields[fmap.target], fmap)
        if fmap.collect is not None:
            columns.append(_collected(fmap, table, mapped))
        elif fmap.source is None:
            columns.append([conv(fmap.value)] * table.count)
        else:
            if fmap.source not in table.columns:
                raise SourceUnreadable(
                    f"Nella sorgente manca la colonna «{fmap.source}» richiesta per «{fmap.target}»."
                )
            fast = _arrow_text(table, fmap, target.fields[fmap.target])
            columns.append(fast if fast is not None else _column(table.columns[fmap.source], conv, errors))
    geoms = table.geometries or [None] * table.count
    errs = [errors.get(i) for i in range(table.count)] if errors else [None] * table.count
    return list(zip(range(1, table.count + 1), *columns, geoms, errs, strict=True))


def jsonable(value):
    if isinstance(value, dt.date | Decimal | dt.time):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    return value

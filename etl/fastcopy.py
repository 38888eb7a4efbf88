"""Stage an Arrow-read source without Python rows: Arrow builds the typed columns, COPY loads them.

Turning a 300,000-polygon GeoPackage into Python values and JSON objects took longer than
reading and writing it (docs/etl.md). When every mapped field is a plain column (text, key,
integer, constant, the collected attributes), Arrow's vectorised functions produce the same
staged values and conversion errors as ``convert.rows_for`` — trimmed text, too-long text
nulled with its reason, the attributes as JSON text — and COPY sends them straight into the
staging table: in binary format when every staged column is text, JSON or an integer (Arrow
joins each row's length-prefixed values; the geometries go as WKB, which PostGIS reads without
a hex round trip), else as CSV with the WKB as hex. Anything else (name matching, splitting,
dates…) keeps the row-by-row path.
"""

from __future__ import annotations

import io
import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from django.db.models import ForeignKey
from psycopg.copy import QueuedLibpqWriter

from .convert import converter_for
from .errors import EtlError
from .readers.base import ArrowGeometries
from .staging import binary_type, stage_storage

BATCH_ROWS = 25_000
SLICE_ROWS = 50_000  # converted while the previous slice is being parsed by PostgreSQL
TEXT_FIELDS = ("CharField", "TextField", "SlugField")
INTEGER_FIELDS = ("IntegerField", "SmallIntegerField", "BigIntegerField")
CONSTANT_TYPES = (str, int, float, bool)
_HEX = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint16)
# JSON string escapes Arrow can apply with plain substitutions; other control characters
# (rare in attribute tables) send the source down the row-by-row path.
_ESCAPES = [("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")]
_OTHER_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_NEEDS_ESCAPE = r'[\\"\x00-\x1f]'
# Binary COPY: signature, flags and header extension length; the trailer is a field count of -1.
_SIGNATURE, _TRAILER = b"PGCOPY\n\xff\r\n\x00" + bytes(8), b"\xff\xff"
_INT_WIDTHS = {"int2": 2, "int4": 4, "int8": 8}
_BINARY_KINDS = {"text", "varchar", "jsonb", *_INT_WIDTHS}
_CSV = pcsv.WriteOptions(include_header=False)
_EMPTY, _JSONB_VERSION = pa.scalar(b"", pa.large_binary()), pa.scalar(b"\x01", pa.large_binary())


class Unsupported(EtlError):  # noqa: N818 - an internal signal, caught in this module, never shown
    """A value Arrow cannot stage exactly: the caller uses the row-by-row path instead."""


def _is_text(t) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def collected_names(fmap, table, mapped: set[str]) -> list[str]:
    """The columns a ``collect`` field gathers, chosen as ``convert._collected`` chooses them."""
    if fmap.collect == ("*",):
        return [c for c in table.columns if c not in mapped and not c.startswith("_")]
    return [c for c in fmap.collect if c in table.columns]


def arrow_rows(source, target, table, start: int = 0, length: int | None = None) -> pa.Table | None:
    """Staging rows ``(_row, *fields, _geom, _error)`` of a slice of ``table``; None when not possible.

    ``_geom`` is the WKB (binary); :func:`stage` hex-encodes it for a CSV COPY.
    """
    arrow = getattr(table.columns, "table", None)
    if arrow is None:
        return None
    arrow = arrow.slice(start, length)
    count = arrow.num_rows
    mapped = {f.source for f in source.fields if f.source}
    columns, errors = [], []
    try:
        for fmap in source.fields:
            fld = target.fields[fmap.target]
            if fmap.collect is not None:
                columns.append(
                    json_column([(n, _column(arrow, n)) for n in collected_names(fmap, table, mapped)], count)
                )
            elif fmap.source is None:
                columns.append(_constant(converter_for(fld, fmap), fmap.value, count))
            elif fmap.match or fmap.split or fmap.source not in arrow.column_names:
                return None
            else:
                value, error = _field(fld, _column(arrow, fmap.source))
                columns.append(value)
                if error is not None:
                    errors.append(error)
    except Unsupported:
        return None
    error = pc.coalesce(*errors) if errors else pa.nulls(count, pa.string())
    geometry = _wkb(table.geometries, start, count) if table.geometries is not None else pa.nulls(count, pa.binary())
    rows = pa.array(np.arange(start + 1, start + count + 1, dtype=np.int32))
    return pa.table([rows, *columns, geometry, error], names=["_row", *source.target_fields, "_geom", "_error"])


def stage(cur, source, target, table) -> bool | None:
    """Stage ``table`` through COPY; whether duplicate keys are possible, or None for the row path.

    Slice by slice, with psycopg's queued writer: while PostgreSQL parses one slice (mostly the
    geometries), Arrow converts the next. When a slice turns out to need the row-by-row path
    (e.g. a control character), what was copied is removed and None returned.
    """
    if getattr(table.columns, "table", None) is None:
        return None
    key, keys, names = list(source.natural_key), [], ", ".join(f'"{c}"' for c in source.target_fields)
    kinds = binary_kinds(target)
    sql = (
        f"COPY {stage_storage(cur)} (_row, {names}, _geom, _error) FROM STDIN "  # noqa: S608 - declared names
        f"(FORMAT {'binary' if kinds else 'csv'})"
    )
    rows = None
    with cur.copy(sql, writer=QueuedLibpqWriter(cur.cursor)) as out:
        if kinds:
            out.write(_SIGNATURE)
        for start in range(0, table.count, SLICE_ROWS):
            rows = arrow_rows(source, target, table, start, SLICE_ROWS)
            if rows is None or not _write_slice(out, rows, kinds, table.geometries, start):
                rows = None
                break
            keys.append(rows.select(key))
        if kinds and rows is not None:
            out.write(_TRAILER)
    if rows is None:
        cur.execute(f"TRUNCATE {stage_storage(cur)}")
        return None
    return has_duplicate_keys(pa.concat_tables(keys), key)


def csv_bytes(rows: pa.Table | pa.RecordBatch) -> bytes:
    """Rows as headerless CSV, what ``COPY … FROM STDIN (FORMAT csv)`` reads."""
    buf = io.BytesIO()
    pcsv.write_csv(rows, buf, _CSV)
    return buf.getvalue()


def copy_csv(cur, sql: str, rows: pa.Table) -> None:
    """Send ``rows`` to ``sql`` (a ``COPY … FROM STDIN (FORMAT csv)``) batch by batch, with psycopg's
    queued writer: PostgreSQL parses one batch while Arrow writes the next."""
    with cur.copy(sql, writer=QueuedLibpqWriter(cur.cursor)) as out:
        for batch in rows.to_batches(max_chunksize=BATCH_ROWS):
            out.write(csv_bytes(batch))


def _write_slice(out, rows: pa.Table, kinds: list[str] | None, geometries, start: int) -> bool:
    """Send one slice of staging rows to the COPY; False when a value needs the row path."""
    if not kinds:  # CSV: the WKB as hex text
        geometry = (
            hex_wkb(geometries, start, rows.num_rows)
            if geometries is not None
            else pa.nulls(rows.num_rows, pa.string())
        )
        rows = rows.set_column(rows.num_columns - 2, "_geom", geometry)
    for batch in rows.to_batches(max_chunksize=BATCH_ROWS):
        if kinds:
            try:
                out.write(_binary_copy(batch, kinds))
            except Unsupported:
                return False
        else:
            out.write(csv_bytes(batch))
    return True


def binary_kinds(target) -> list[str] | None:
    """Binary COPY type of each mapped staging column, or None when one is not sent in binary."""
    kinds = [binary_type(target.stage_type(c)) for c in target.source.target_fields]
    return kinds if all(k in _BINARY_KINDS for k in kinds) else None


def _binary_copy(batch: pa.RecordBatch, kinds: list[str]) -> pa.Buffer:
    """The rows of ``batch`` in binary COPY format: each row's field count, then each field's
    length (-1 for NULL) and bytes, joined row by row by Arrow (no Python loop over rows)."""
    count = batch.num_rows
    pieces = [_fixed(np.full(count, batch.num_columns, dtype=">i2"))]
    for column, kind in zip(batch.columns, ["int4", *kinds, "bytea", "text"], strict=True):
        pieces += _binary_field(column, kind)
    rows = pc.binary_join_element_wise(*pieces, _EMPTY)
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    return rows.buffers()[2][offsets[rows.offset] : offsets[rows.offset + count]]


def _binary_field(column: pa.Array, kind: str) -> list[pa.Array]:
    """Length prefixes and values of one column (arrays of large_binary, one entry per row)."""
    valid = column.is_valid()
    if kind in _INT_WIDTHS:
        if not pa.types.is_integer(column.type):
            raise Unsupported
        width = _INT_WIDTHS[kind]
        try:
            values = column.fill_null(0).cast(pa.int64()).to_numpy()
        except pa.ArrowInvalid:  # e.g. an unsigned value beyond int64: left to the row-by-row path
            raise Unsupported from None
        limit = 1 << (8 * width - 1)
        if values.size and (values.min() < -limit or values.max() >= limit):
            raise Unsupported  # out of the column's range: left to the row-by-row path
        data = pc.if_else(valid, _fixed(values.astype(f">i{width}")), _EMPTY)
        lengths = pc.if_else(valid, width, -1)
    else:
        if not (
            _is_text(column.type)
            or pa.types.is_binary(column.type)
            or pa.types.is_large_binary(column.type)
            or pa.types.is_null(column.type)
        ):
            raise Unsupported
        data = column.cast(pa.large_binary())
        lengths = pc.binary_length(data)
        if kind == "jsonb":  # jsonb's binary form: a version byte, then the text
            data = pc.binary_join_element_wise(pc.if_else(valid, _JSONB_VERSION, _EMPTY), data, _EMPTY)
            lengths = pc.add(lengths, 1)
        data, lengths = data.fill_null(_EMPTY), lengths.fill_null(-1)
    return [_fixed(lengths.cast(pa.int32()).to_numpy(zero_copy_only=False).astype(">i4")), data.cast(pa.large_binary())]


def _fixed(values: np.ndarray) -> pa.Array:
    """Each big-endian number of ``values`` as a large_binary value of its bytes."""
    width = values.dtype.itemsize
    return pa.FixedSizeBinaryArray.from_buffers(
        pa.binary(width), len(values), [None, pa.py_buffer(values.tobytes())]
    ).cast(pa.large_binary())


def has_duplicate_keys(rows: pa.Table, key: list[str]) -> bool:
    """Whether two rows share a natural key (nulls count as equal, as in SQL's GROUP BY).

    Validation only removes rows and never changes a key, so when this says no, the SQL
    duplicate check (a hash aggregate over the whole stage) can be skipped.
    """
    groups = rows.select(key).group_by(key).aggregate([([], "count_all")])
    return groups.num_rows < rows.num_rows


def _column(arrow: pa.Table, name: str) -> pa.Array:
    # One contiguous array: element-wise kernels mixing scalars and differently chunked
    # columns returned wrong lengths in testing.
    return arrow.column(name).combine_chunks()


def _constant(convert, value, count: int) -> pa.Array:
    staged = convert(value)
    if staged is None:
        return pa.nulls(count, pa.string())
    if not isinstance(staged, CONSTANT_TYPES):
        raise Unsupported
    return pa.array([staged] * count)


def _field(fld, column: pa.Array) -> tuple[pa.Array, pa.Array | None]:
    """(staged value, error or null) of one mapped column, as convert's converters give them."""
    if isinstance(fld, ForeignKey):  # as convert: None or "" → NULL, anything else stripped
        empty = pc.equal(column, "") if _is_text(column.type) else pa.scalar(False)
        return pc.if_else(empty, pa.scalar(None, pa.string()), as_text(column)), None
    kind = fld.get_internal_type()
    if kind in INTEGER_FIELDS and pa.types.is_integer(column.type):
        return column, None
    if kind not in TEXT_FIELDS:
        raise Unsupported
    text = as_text(column)
    if not fld.null:
        text = text.fill_null("")
    if not fld.max_length:
        return text, None
    too_long = pc.fill_null(pc.greater(pc.utf8_length(text), fld.max_length), False)
    if not pc.any(too_long).as_py():
        return text, None
    message = f"{fld.name}: testo più lungo di {fld.max_length} caratteri"
    return (
        pc.if_else(too_long, pa.scalar(None, pa.string()), text),
        pc.if_else(too_long, message, pa.scalar(None, pa.string())),
    )


def as_text(column: pa.Array) -> pa.Array:
    if _is_text(column.type):
        return pc.utf8_trim_whitespace(column)
    if pa.types.is_integer(column.type):
        return pc.cast(column, pa.string())
    raise Unsupported  # floats print differently ("1.0" → "1"): the row-by-row path knows how


def json_column(columns: list[tuple[str, pa.Array]], count: int, nulls: bool = False) -> pa.Array:
    """The JSON object of each row's non-null collected values (all values with ``nulls``), as text."""
    pieces = [_json_piece(json.dumps(name) + ":", column, nulls) for name, column in columns]
    body = pc.binary_join_element_wise(*pieces, "") if pieces else pa.array([""] * count, pa.string())
    return pc.binary_join_element_wise("{", pc.utf8_rtrim(body, characters=","), "}", "")


def _json_piece(key: str, column: pa.Array, nulls: bool = False) -> pa.Array:
    """``"key":value,`` for each non-null value; for nulls "" (or ``"key":null,`` with ``nulls``).

    Attribute columns repeat a few values (a comune's name, a category) on many rows: the
    text is built once per distinct value and then spread over the rows.
    """
    null = f"{key}null," if nulls else ""
    if _is_text(column.type):
        encoded = pc.dictionary_encode(column)
        pieces = pc.binary_join_element_wise(key, _json_value(encoded.dictionary), ",", "")
        return pc.take(pieces, encoded.indices).fill_null(null)
    return pc.binary_join_element_wise(key, _json_value(column), ",", "").fill_null(null)


def _json_value(column: pa.Array) -> pa.Array:
    """JSON text of each value (null stays null, so the key is left out)."""
    t = column.type
    if _is_text(t):
        if pc.any(pc.match_substring_regex(column, _NEEDS_ESCAPE)).as_py():  # rare: one scan to know
            if pc.any(pc.match_substring_regex(column, _OTHER_CONTROL)).as_py():
                raise Unsupported
            for old, new in _ESCAPES:
                column = pc.replace_substring(column, old, new)
        return pc.binary_join_element_wise('"', column, '"', "")
    if pa.types.is_integer(t):
        return pc.cast(column, pa.string())
    if pa.types.is_floating(t):
        if not pc.all(pc.fill_null(pc.is_finite(column), True)).as_py():
            raise Unsupported  # NaN/inf are not JSON
        text = pc.cast(column, pa.string())  # "1" for 1.0, where Python writes "1.0" (jsonb keeps the scale)
        return pc.if_else(pc.match_substring_regex(text, "[.eE]"), text, pc.binary_join_element_wise(text, ".0", ""))
    if pa.types.is_boolean(t):
        return pc.if_else(column, "true", "false")
    if pa.types.is_date32(t):
        return pc.binary_join_element_wise('"', pc.cast(column, pa.string()), '"', "")
    raise Unsupported


def _wkb(geometries, start: int, count: int) -> pa.Array:
    """The WKB of a slice of the geometries, as one large_binary array."""
    if isinstance(geometries, ArrowGeometries):
        return geometries.array.slice(start, count).cast(pa.large_binary())
    return pa.array(geometries[start : start + count], type=pa.large_binary())


def hex_wkb(geometries, start: int, count: int) -> pa.Array:
    """WKB as hexadecimal text (what PostGIS reads from CSV COPY), computed by numpy, not per row."""
    wkb = _wkb(geometries, start, count)
    if wkb.offset:  # a slice: its buffers start before its first value
        wkb = pa.concat_arrays([wkb])
    offsets = np.frombuffer(wkb.buffers()[1], dtype=np.int64)[: len(wkb) + 1]
    data = np.frombuffer(wkb.buffers()[2], dtype=np.uint8) if wkb.buffers()[2] else np.empty(0, np.uint8)
    text = _HEX[data[offsets[0] : offsets[-1]]].tobytes()
    return pa.Array.from_buffers(
        pa.large_string(), len(wkb), [wkb.buffers()[0], pa.py_buffer((offsets - offsets[0]) * 2), pa.py_buffer(text)]
    )

"""Arrow → ``COPY … FROM STDIN``: a pyarrow table into a relation, in binary or CSV format.

Converting a large table into Python values to send it row by row took longer than reading
it; here Arrow's vectorised kernels (and numpy over its buffers) encode whole columns and
psycopg's queued writer sends them, so PostgreSQL parses one batch while the next is encoded.

    from remix.db import copy
    copy.copy_table(cur, "public.t", pa.table({"id": ids, "name": names}))            # CSV
    copy.copy_table(cur, "public.t", rows, kinds=["int4", "text", "geometry"])         # binary

- **CSV** (``kinds=None``) takes any column Arrow's CSV writer takes; PostgreSQL parses each
  value as the column's type (geometries as hexadecimal WKB: :func:`hex_wkb`).
- **Binary** takes, per column, one of :data:`ARROW_BINARY_KINDS`: integers (``int2``, ``int4``,
  ``int8``) from Arrow integer columns, text (``text``, ``varchar``), ``jsonb`` from text holding
  JSON, and raw bytes (``bytea``, and ``geometry``: WKB, which PostGIS reads without a hex round
  trip). A value the asked format cannot hold exactly (an integer beyond the column's range, a
  float for an integer column…) raises :class:`Unsupported` before anything of its batch is sent.

Relation and column names are composed with ``psycopg.sql`` (:func:`statement`); nothing here
knows a project table.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
from psycopg.copy import QueuedLibpqWriter

from .compose import Composable, Composed, compose, relation, render

__all__ = [
    "ARROW_BINARY_KINDS",
    "BATCH_ROWS",
    "Unsupported",
    "binary_field",
    "binary_rows",
    "binary_type",
    "copy_from",
    "copy_table",
    "csv_bytes",
    "hex_wkb",
    "json_objects",
    "statement",
]

BATCH_ROWS = 25_000
INT_WIDTHS = {"int2": 2, "int4": 4, "int8": 8}
ARROW_BINARY_KINDS = frozenset({"text", "varchar", "jsonb", "bytea", "geometry", *INT_WIDTHS})
# Binary COPY: signature, flags and header extension length; the trailer is a field count of -1.
SIGNATURE, TRAILER = b"PGCOPY\n\xff\r\n\x00" + bytes(8), b"\xff\xff"
_CSV = pcsv.WriteOptions(include_header=False)
_EMPTY, _JSONB_VERSION = pa.scalar(b"", pa.large_binary()), pa.scalar(b"\x01", pa.large_binary())
_HEX = np.frombuffer(b"".join(f"{i:02x}".encode() for i in range(256)), dtype=np.uint16)
# JSON string escapes Arrow can apply with plain substitutions; other control characters are Unsupported.
_ESCAPES = [("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")]
_OTHER_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_NEEDS_ESCAPE = r'[\\"\x00-\x1f]'
# psycopg's names of the column types it can write in binary COPY (``Copy.set_types``).
PSYCOPG_BINARY_TYPES = {
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "double precision": "float8",
    "real": "float4",
    "boolean": "bool",
    "text": "text",
    "varchar": "varchar",
    "character varying": "varchar",
    "numeric": "numeric",
    "date": "date",
    "jsonb": "jsonb",
    "timestamp with time zone": "timestamptz",
}


class Unsupported(ValueError):  # noqa: N818 - a signal for the caller to take another path
    """A value the asked encoding cannot hold exactly: the caller encodes it another way."""


def statement(target: str | tuple[str, ...] | Composable, columns: Iterable[str], binary: bool = False) -> Composed:
    """``COPY target (columns) FROM STDIN (FORMAT binary|csv)``, every name quoted."""
    template = (
        "COPY {target} ({columns}) FROM STDIN (FORMAT binary)"
        if binary
        else ("COPY {target} ({columns}) FROM STDIN (FORMAT csv)")
    )
    return compose(template, target=relation(target), columns=list(columns))


def binary_type(db_type: str) -> str | None:
    """psycopg's binary COPY type name for a column type (``varchar(20)[]`` → ``varchar[]``); None
    when psycopg cannot write it in binary."""
    base = re.sub(r"\(.*?\)", "", db_type).strip()
    is_array = base.endswith("[]")
    name = PSYCOPG_BINARY_TYPES.get(base.removesuffix("[]").strip())
    if name is None:
        return None
    return f"{name}[]" if is_array else name


class CopyWriter:
    """What :func:`copy_from` yields: ``write(rows)`` encodes and sends one table or batch."""

    def __init__(self, out, kinds: Sequence[str] | None, batch_rows: int = BATCH_ROWS):
        self.out, self.kinds, self.batch_rows = out, list(kinds) if kinds is not None else None, batch_rows

    def write(self, rows: pa.Table | pa.RecordBatch) -> None:
        """Send ``rows`` (their columns in the statement's order), batch by batch.

        A batch that cannot be encoded raises :class:`Unsupported` before any of its bytes is sent;
        the batches before it are sent (whole rows, so the COPY can still end cleanly).
        """
        batches = rows.to_batches(max_chunksize=self.batch_rows) if isinstance(rows, pa.Table) else [rows]
        for batch in batches:
            self.out.write(binary_rows(batch, self.kinds) if self.kinds is not None else csv_bytes(batch))


@contextmanager
def copy_from(
    cur, target: str | tuple[str, ...] | Composable, columns: Iterable[str], kinds: Sequence[str] | None = None
) -> Iterator[CopyWriter]:
    """One ``COPY target (columns) FROM STDIN``, binary when ``kinds`` (one per column) are given, else CSV.

    ``cur`` is a Django or psycopg cursor. Writes go through psycopg's queued writer. When the block
    ends (even after an :class:`Unsupported` the caller caught), the COPY ends cleanly with what was
    written: binary COPY accepts its end at a row boundary.
    """
    columns = list(columns)
    if kinds is not None and len(kinds) != len(columns):
        raise ValueError("one binary kind per column")
    raw = getattr(cur, "cursor", cur)  # psycopg's cursor under Django's wrapper
    query = render(statement(target, columns, binary=kinds is not None), raw)
    with raw.copy(query, writer=QueuedLibpqWriter(raw)) as out:
        if kinds is not None:
            out.write(SIGNATURE)
        yield CopyWriter(out, kinds)
        if kinds is not None:
            out.write(TRAILER)


def copy_table(
    cur, target: str | tuple[str, ...] | Composable, rows: pa.Table, kinds: Sequence[str] | None = None
) -> None:
    """COPY all of ``rows`` into ``target``: its column names are the target's columns."""
    with copy_from(cur, target, rows.column_names, kinds) as out:
        out.write(rows)


def csv_bytes(rows: pa.Table | pa.RecordBatch) -> bytes:
    """Rows as headerless CSV, what ``COPY … FROM STDIN (FORMAT csv)`` reads."""
    buf = io.BytesIO()
    pcsv.write_csv(rows, buf, _CSV)
    return buf.getvalue()


def binary_rows(batch: pa.RecordBatch | pa.Table, kinds: Sequence[str]) -> pa.Buffer:
    """The rows of ``batch`` in binary COPY format (no header, no trailer): each row's field count,
    then each field's length (-1 for NULL) and bytes, joined row by row by Arrow (no Python loop)."""
    count = batch.num_rows
    pieces = [_fixed(np.full(count, batch.num_columns, dtype=">i2"))]
    for column, kind in zip(batch.columns, kinds, strict=True):
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        pieces += binary_field(column, kind)
    rows = pc.binary_join_element_wise(*pieces, _EMPTY)
    offsets = np.frombuffer(rows.buffers()[1], dtype=np.int64)
    return rows.buffers()[2][offsets[rows.offset] : offsets[rows.offset + count]]


def binary_field(column: pa.Array, kind: str) -> list[pa.Array]:
    """Length prefixes and values of one column in binary COPY (arrays of large_binary, one entry per row)."""
    if kind not in ARROW_BINARY_KINDS:
        raise Unsupported(f"binary COPY of {kind!r} columns")
    valid = column.is_valid()
    if kind in INT_WIDTHS:
        if not pa.types.is_integer(column.type):
            raise Unsupported(f"{column.type} into {kind}")
        width = INT_WIDTHS[kind]
        try:
            values = column.fill_null(0).cast(pa.int64()).to_numpy()
        except pa.ArrowInvalid:  # e.g. an unsigned value beyond int64
            raise Unsupported(f"{column.type} beyond int64") from None
        limit = 1 << (8 * width - 1)
        if values.size and (values.min() < -limit or values.max() >= limit):
            raise Unsupported(f"a value out of the range of {kind}")
        data = pc.if_else(valid, _fixed(values.astype(f">i{width}")), _EMPTY)
        lengths = pc.if_else(valid, width, -1)
    else:
        if not (
            _is_text(column.type)
            or pa.types.is_binary(column.type)
            or pa.types.is_large_binary(column.type)
            or pa.types.is_null(column.type)
        ):
            raise Unsupported(f"{column.type} into {kind}")
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


def _is_text(t) -> bool:
    return pa.types.is_string(t) or pa.types.is_large_string(t)


def hex_wkb(wkb: pa.Array | pa.ChunkedArray) -> pa.Array:
    """WKB (binary values) as hexadecimal text, what PostGIS reads from a CSV COPY; computed by numpy
    over Arrow's buffers, not value by value. Nulls stay null."""
    if isinstance(wkb, pa.ChunkedArray):
        wkb = wkb.combine_chunks()
    wkb = wkb.cast(pa.large_binary())
    if wkb.offset:  # a slice: its buffers start before its first value
        wkb = pa.concat_arrays([wkb])
    offsets = np.frombuffer(wkb.buffers()[1], dtype=np.int64)[: len(wkb) + 1]
    data = np.frombuffer(wkb.buffers()[2], dtype=np.uint8) if wkb.buffers()[2] else np.empty(0, np.uint8)
    text = _HEX[data[offsets[0] : offsets[-1]]].tobytes()
    return pa.Array.from_buffers(
        pa.large_string(), len(wkb), [wkb.buffers()[0], pa.py_buffer((offsets - offsets[0]) * 2), pa.py_buffer(text)]
    )


def json_objects(columns: list[tuple[str, pa.Array]], count: int, nulls: bool = False) -> pa.Array:
    """Each row's JSON object of ``columns`` (``[(key, column)]``) as text, for a ``jsonb`` column:
    non-null values only, or every value with ``nulls``.

    Text, integers, floats (``1.0`` kept as ``1.0``), booleans and dates (as ``"YYYY-MM-DD"``);
    other types, NaN/infinity and control characters other than ``\\n \\r \\t`` are :class:`Unsupported`.
    """
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
                raise Unsupported("a control character in a text value")
            for old, new in _ESCAPES:
                column = pc.replace_substring(column, old, new)
        return pc.binary_join_element_wise('"', column, '"', "")
    if pa.types.is_integer(t):
        return pc.cast(column, pa.string())
    if pa.types.is_floating(t):
        if not pc.all(pc.fill_null(pc.is_finite(column), True)).as_py():
            raise Unsupported("NaN or infinity, which JSON cannot hold")
        text = pc.cast(column, pa.string())  # "1" for 1.0, where Python writes "1.0" (jsonb keeps the scale)
        return pc.if_else(pc.match_substring_regex(text, "[.eE]"), text, pc.binary_join_element_wise(text, ".0", ""))
    if pa.types.is_boolean(t):
        return pc.if_else(column, "true", "false")
    if pa.types.is_date32(t):
        return pc.binary_join_element_wise('"', pc.cast(column, pa.string()), '"', "")
    raise Unsupported(f"{t} in JSON")

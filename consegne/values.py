"""Attribute values the database or the published PGT cannot take, found before staging (Arrow, no rows).

Text longer than a ``.dbf`` field can hold, bytes that are not UTF-8, NaN and infinite or absurd
numbers each become a finding naming the field and the feature (located once the feature is
staged, see :meth:`consegne.staging.Staging.locate`). Undecodable text and numbers JSON cannot
hold are then staged as null, so that nothing downstream (JSON, the ``pgt_<layer>`` views' casts)
can fail on them; too-long text is staged as it is (the label shows its start) and refused.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from etl.readers.base import ArrowColumns
from etl.readers.delivery import UploadedLayer

from .spec import LayerSpec

MAX_TEXT = 254  # a .dbf character field's width: the longest text a PGT attribute may hold
MAX_KEY = 80  # mappature PgtFeature.feature_key: a longer key is shortened (see Staging.promote)
MAX_NUMBER = 1e15  # no PGT quantity (m², counts) comes near; beyond it a value is a unit or export error


@dataclass
class RowFound:
    """A finding about one feature, by its position in the layer (``row``, from 1)."""

    rule: str
    layer: str
    row: int
    params: dict = field(default_factory=dict)


def inspect(layer: LayerSpec, data: UploadedLayer) -> tuple[list[RowFound], UploadedLayer]:
    """The value findings of one layer, and the layer with every offending value set to null."""
    arrow = getattr(data.table.columns, "table", None)
    if arrow is None or not arrow.num_rows:
        return [], data
    found: list[RowFound] = []
    replaced: dict[str, pa.Array] = {}
    for fld in layer.fields:
        if fld.name not in arrow.column_names:
            continue
        column = arrow.column(fld.name).combine_chunks()
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            column = _text(layer, fld.name, column, found)
        elif pa.types.is_floating(column.type) or pa.types.is_integer(column.type):
            column = _number(layer, fld.name, column, found)
        else:
            continue
        if column is not None:
            replaced[fld.name] = column
    if not replaced:
        return found, data
    for name, column in replaced.items():
        arrow = arrow.set_column(arrow.column_names.index(name), name, column)
    table = dataclasses.replace(data.table, columns=ArrowColumns(arrow))
    return found, dataclasses.replace(data, table=table)


def _rows(mask: pa.Array) -> np.ndarray:
    return np.flatnonzero(mask.fill_null(False).to_numpy(zero_copy_only=False))


def _text(layer: LayerSpec, name: str, column: pa.Array, found: list[RowFound]) -> pa.Array | None:
    new = None
    try:
        column.validate(full=True)  # checks the UTF-8 of every value
    except pa.ArrowInvalid:
        values = column.cast(pa.large_binary()).to_pylist()
        decoded = []
        for row, raw in enumerate(values):
            try:
                decoded.append(None if raw is None else raw.decode("utf-8"))
            except UnicodeDecodeError:
                found.append(RowFound("text_not_utf8", layer.code, row + 1, {"field": name}))
                decoded.append(None)
        column = new = pa.array(decoded, pa.string())
    lengths = pc.utf8_length(column)
    too_long = _rows(pc.greater(lengths, MAX_TEXT))
    if len(too_long):
        sizes = lengths.to_numpy(zero_copy_only=False)
        found += [
            RowFound("text_too_long", layer.code, int(r) + 1, {"field": name, "length": int(sizes[r]), "max": MAX_TEXT})
            for r in too_long
        ]
    if name == layer.key_field:
        long_keys = _rows(pc.and_(pc.greater(lengths, MAX_KEY), pc.less_equal(lengths, MAX_TEXT)))
        sizes = lengths.to_numpy(zero_copy_only=False)
        found += [
            RowFound("key_shortened", layer.code, int(r) + 1, {"field": name, "length": int(sizes[r]), "max": MAX_KEY})
            for r in long_keys
        ]
    return new


def _number(layer: LayerSpec, name: str, column: pa.Array, found: list[RowFound]) -> pa.Array | None:
    values = column.to_numpy(zero_copy_only=False).astype(np.float64, copy=False) if len(column) else np.zeros(0)
    present = ~column.is_null().to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        bad = present & ~np.isfinite(values)
        huge = present & np.isfinite(values) & (np.abs(values) > MAX_NUMBER)
    if not (bad.any() or huge.any()):
        return None
    for row in np.flatnonzero(bad):
        value = values[row]
        text = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        found.append(RowFound("number_invalid", layer.code, int(row) + 1, {"field": name, "value": text}))
    raw = column.to_pylist() if huge.any() else []
    for row in np.flatnonzero(huge):
        found.append(
            RowFound(
                "number_out_of_range",
                layer.code,
                int(row) + 1,
                {"field": name, "value": repr(raw[row]), "max": int(MAX_NUMBER)},
            )
        )
    keep = pa.array(~(bad | huge))
    return pc.if_else(keep, column, pa.nulls(len(column), column.type))

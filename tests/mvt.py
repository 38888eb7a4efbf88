"""A small Mapbox Vector Tile decoder for the tests: layers, feature ids, types and attributes.

Reads the protobuf wire format of the MVT 2.1 specification directly (no dependency); geometries
are left encoded (their command count is kept, to tell an empty feature from a drawn one).
"""

from __future__ import annotations

import math
import struct


def _varint(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def _fields(data: bytes):
    """(field number, wire type, value) of each field of one message: ints, or bytes for wire type 2."""
    i = 0
    while i < len(data):
        key, i = _varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(data, i)
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        elif wire == 2:
            size, i = _varint(data, i)
            value, i = data[i : i + size], i + size
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, wire, value


def _packed(data: bytes) -> list[int]:
    out, i = [], 0
    while i < len(data):
        value, i = _varint(data, i)
        out.append(value)
    return out


def _value(data: bytes):
    for number, _wire, raw in _fields(data):
        if number == 1:
            return raw.decode()
        if number == 2:
            return struct.unpack("<f", raw)[0]
        if number == 3:
            return struct.unpack("<d", raw)[0]
        if number in (4, 5):
            return raw
        if number == 6:
            return (raw >> 1) ^ -(raw & 1)
        if number == 7:
            return bool(raw)
    return None


def _feature(data: bytes, keys: list[str], values: list) -> dict:
    item = {"id": None, "type": 0, "geometry_ints": 0, "properties": {}}
    for field, _wire, value in _fields(data):
        if field == 1:
            item["id"] = value
        elif field == 2:
            tags = _packed(value)
            item["properties"] = {keys[k]: values[v] for k, v in zip(tags[::2], tags[1::2], strict=True)}
        elif field == 3:
            item["type"] = value
        elif field == 4:
            item["geometry_ints"] = len(_packed(value))
    return item


def _layer(data: bytes) -> tuple[str, list[dict]]:
    name, keys, values, features = "", [], [], []
    for field, _wire, value in _fields(data):
        if field == 1:
            name = value.decode()
        elif field == 2:
            features.append(value)
        elif field == 3:
            keys.append(value.decode())
        elif field == 4:
            values.append(_value(value))
    return name, [_feature(f, keys, values) for f in features]


def decode(tile: bytes) -> dict[str, list[dict]]:
    """{layer name: [{"id", "type", "geometry_ints", "properties"}]} of an MVT tile (b"" → {})."""
    return dict(_layer(raw) for number, _wire, raw in _fields(tile) if number == 3)


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The (x, y) of the web-mercator tile holding a point at zoom ``z``."""
    n = 2**z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)

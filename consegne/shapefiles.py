"""What GDAL does not tell about a delivered shapefile: its real encoding, its record counts, its rings.

GDAL reads a shapefile leniently: it trusts a ``.cpg`` that lies (and returns garbled or invalid
text), reads only as many features as the ``.dbf`` header counts, and turns a hole that lies outside
its shell into an extra filled part. These functions read the files' own headers and records (the
formats are public: ESRI Shapefile Technical Description, dBASE III) so that every such case
becomes a finding instead of a silent change.
"""

from __future__ import annotations

import codecs
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import charset_normalizer
import numpy as np
import pyarrow as pa
import shapely

# Encodings tried when the .cpg is missing, unknown or wrong: UTF-8 first (it almost never decodes
# text written in another encoding), then the Western European code pages municipal GIS tools write.
WESTERN = ["cp1252", "iso8859_15", "cp850", "latin_1"]
SAMPLE_BYTES = 256 * 1024  # of the text values containing non-ASCII bytes, enough to recognise them
POLYGONS = {5, 15, 25}


@dataclass
class Encoding:
    """How a shapefile's text is decoded.

    ``source``: ``cpg`` (the .cpg, confirmed by the data), ``cpg_mismatch`` (the .cpg names another
    encoding than the data's), ``cpg_unknown`` (the .cpg names no known code page), ``detected``
    (no .cpg) or ``undetectable`` (``name`` is None: the text is not in any encoding Remix knows).
    """

    name: str | None
    source: str
    declared: str = ""


def codec_of(label: str) -> str | None:
    """The Python codec of a .cpg label (``UTF-8``, ``1252``, ``ANSI 1252``, ESRI's ``88591``…), or None."""
    text = label.strip().upper()
    candidates = [text, re.sub(r"^(ANSI|OEM|WINDOWS|CP|ISO|IBM)[\s_-]*", "", text)]
    digits = re.sub(r"[\s_-]", "", candidates[-1])
    if re.fullmatch(r"8859\d{1,2}", digits):  # ESRI writes ISO 8859-x as 8859x
        candidates.append(f"iso8859_{digits[4:]}")
    if re.fullmatch(r"\d{3,5}", digits):
        candidates.append(f"iso8859_{digits[4:]}" if digits.startswith("8859") else f"cp{digits}")
    for name in candidates:
        try:
            return codecs.lookup(name).name
        except LookupError:
            continue
    return None


def gdal_name(codec: str) -> str:
    """The name GDAL (iconv) knows a Python codec by: ``iso8859-1`` → ``ISO8859-1``."""
    return codec.upper()


@dataclass
class Dbf:
    """The parts of a .dbf that matter here: record count, text fields' bytes, deletion flags."""

    records: int
    header_length: int
    record_length: int
    text_fields: list[tuple[str, int, int]] = field(default_factory=list)  # (name, offset, width)
    data: bytes = b""

    @classmethod
    def read(cls, path: Path) -> Dbf | None:
        raw = path.read_bytes()
        if len(raw) < 32:
            return None
        records, header, length = struct.unpack("<IHH", raw[4:12])
        dbf = cls(records, header, length, data=raw)
        offset, pos = 1, 32
        while pos + 32 <= min(header, len(raw)) and raw[pos] != 0x0D:
            name = raw[pos : pos + 11].split(b"\0")[0].decode("ascii", "replace").strip()
            kind, width = chr(raw[pos + 11]), raw[pos + 16]
            if kind == "C":
                width += raw[pos + 17] * 256  # character fields may use the decimal byte as width's high byte
                dbf.text_fields.append((name, offset, width))
            offset += width
            pos += 32
        return dbf

    def matrix(self) -> np.ndarray:
        """The complete records as a (records, record length) byte matrix."""
        count = min(self.records, max(0, len(self.data) - self.header_length) // max(self.record_length, 1))
        body = np.frombuffer(self.data, np.uint8, count * self.record_length, self.header_length)
        return body.reshape(count, self.record_length) if self.record_length else body.reshape(0, 0)

    def deleted(self) -> np.ndarray:
        """Whether each record is marked deleted (GDAL skips those)."""
        rows = self.matrix()
        return rows[:, 0] == ord("*") if rows.size else np.zeros(0, bool)

    def text_values(self) -> list[tuple[bytes, bool]]:
        """The raw bytes of every non-ASCII text value (trailing blanks removed) and whether it fills
        its field (a UTF-8 value cut at the field's width may end mid-character)."""
        rows = self.matrix()
        out = []
        for _name, offset, width in self.text_fields:
            block = rows[:, offset : offset + width]
            if not block.size or not (block >= 0x80).any():
                continue
            for row in np.flatnonzero((block >= 0x80).any(axis=1)):
                value = block[row].tobytes().rstrip(b" \0")
                out.append((value, len(value) == width))
        return out


def _decodes(values: list[tuple[bytes, bool]], codec: str) -> bool:
    for value, full in values:
        try:
            value.decode(codec)
        except UnicodeDecodeError:
            if codec != "utf-8" or not full:
                return False
            try:  # a UTF-8 value cut mid-character at the field's width is still UTF-8
                codecs.getincrementaldecoder("utf-8")().decode(value, final=False)
            except UnicodeDecodeError:
                return False
    return True


def _detect(values: list[tuple[bytes, bool]]) -> str | None:
    if _decodes(values, "utf-8"):
        return "utf-8"
    sample, size = [], 0
    for value, _full in values:
        sample.append(value)
        size += len(value) + 1
        if size > SAMPLE_BYTES:
            break
    best = charset_normalizer.from_bytes(b"\n".join(sample), cp_isolation=WESTERN).best()
    return codecs.lookup(best.encoding).name if best is not None else None


def read_dbf(shp: Path) -> Dbf | None:
    """The .dbf next to ``shp`` (None when it is missing or too short to be one)."""
    path = shp.with_suffix(".dbf")
    return Dbf.read(path) if path.is_file() else None


def resolve_encoding(shp: Path, dbf: Dbf | None) -> Encoding:
    """The encoding of a shapefile's text: the .cpg's when the data agrees, else recognised from the data."""
    cpg = shp.with_suffix(".cpg")
    values = dbf.text_values() if dbf is not None else []
    declared = ""
    if cpg.is_file():
        with cpg.open("rb") as fh:  # a code-page name is a few characters: never read a large file whole
            declared = fh.read(64).decode("ascii", "replace").strip()
    if cpg.is_file():
        codec = codec_of(declared) if declared else "utf-8"
        if codec is not None and _decodes(values, codec):
            # Single-byte code pages decode anything: text that is valid UTF-8 was written as UTF-8.
            if codec != "utf-8" and values and _decodes(values, "utf-8"):
                return Encoding(gdal_name("utf-8"), "cpg_mismatch", declared)
            return Encoding(gdal_name(codec), "cpg", declared)
        source = "cpg_mismatch" if codec is not None else "cpg_unknown"
    else:
        source = "detected"
    found = _detect(values) if values else "utf-8"
    if found is None:
        return Encoding(None, "undetectable", declared)
    return Encoding(gdal_name(found), source, declared)


@dataclass
class Counts:
    """How many records each file of a shapefile holds."""

    shp: int
    shx: int | None
    dbf: int | None
    deleted: int = 0


def shp_offsets(raw: bytes, shx: bytes = b"") -> list[int]:
    """The byte offset of each record of a .shp, found by walking the record headers.

    The .shx's list is taken when it agrees with the .shp (each record where the previous one ends,
    with the length the .shp's own header gives): checked with numpy, not record by record; the
    walk then only goes on past the last listed record (where a short .shx would leave records).
    """
    end = min(len(raw), struct.unpack(">i", raw[24:28])[0] * 2) if len(raw) >= 100 else 0
    pos, out = 100, []
    listed = (len(shx) - 100) // 8 if len(shx) >= 100 else 0
    if listed:
        index = np.frombuffer(shx, ">i4", listed * 2, 100).reshape(listed, 2).astype(np.int64) * 2
        starts, ends = index[:, 0], index[:, 0] + 8 + index[:, 1]
        if starts[0] == 100 and ends[-1] <= end and (starts[1:] == ends[:-1]).all() and (index[:, 1] >= 4).all():
            own = np.frombuffer(raw, np.uint8)[starts[:, None] + np.arange(4, 8)].astype(np.int64)
            own_lengths = (own[:, 0] << 24 | own[:, 1] << 16 | own[:, 2] << 8 | own[:, 3]) * 2
            if (own_lengths == index[:, 1]).all():
                out, pos = starts.tolist(), int(ends[-1])
    while pos + 8 <= end:
        length = struct.unpack(">i", raw[pos + 4 : pos + 8])[0] * 2
        if length < 4 or pos + 8 + length > end:
            break
        out.append(pos)
        pos += 8 + length
    return out


def counts(offsets: list[int], shx: Path, dbf: Dbf | None) -> Counts:
    """Records in the .shp (``offsets``, see shp_offsets), listed in the .shx, declared by the .dbf header."""
    shx_count = max(0, (shx.stat().st_size - 100) // 8) if shx.is_file() else None
    deleted = int(dbf.deleted().sum()) if dbf is not None else 0
    return Counts(len(offsets), shx_count, dbf.records if dbf is not None else None, deleted)


@dataclass
class RingProblem:
    """A polygon record whose reading changed it: ``row`` is its position among the features read."""

    row: int
    kind: str  # "hole_outside_shell" or "area_changed"
    file_area: float
    read_area: float
    hole_area: float = 0.0


def _rings(raw: bytes, pos: int) -> list[np.ndarray] | None:
    kind = struct.unpack("<i", raw[pos + 8 : pos + 12])[0]
    if kind not in POLYGONS:
        return None
    parts, points = struct.unpack("<ii", raw[pos + 44 : pos + 52])
    if parts < 2 or points < 4:
        return None
    starts = list(np.frombuffer(raw, "<i4", parts, pos + 52)) + [points]
    xy = np.frombuffer(raw, "<f8", points * 2, pos + 52 + 4 * parts).reshape(points, 2)
    return [xy[a:b] for a, b in zip(starts[:-1], starts[1:], strict=True) if b - a >= 4]


def _signed(ring: np.ndarray) -> float:
    x, y = ring[:, 0] - ring[0, 0], ring[:, 1] - ring[0, 1]  # shifted: no precision lost on UTM values
    return float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) / 2


def ring_problems(raw: bytes, offsets: list[int], geometries, deleted: np.ndarray | None = None) -> list[RingProblem]:
    """Multi-ring polygon records whose geometry as read differs from what the file's rings say.

    A shapefile's outer rings run clockwise and its holes counter-clockwise, each hole inside an
    outer ring. A hole outside every outer ring is read by GDAL as an extra filled part; any
    other reading that changes the area (rings of the wrong orientation, nested the wrong way) is
    reported with both areas. ``raw`` is the .shp's bytes, ``offsets`` its records' (shp_offsets),
    ``geometries`` the WKB GDAL returned, one per feature read.
    """
    keep = np.flatnonzero(~deleted) if deleted is not None and len(deleted) == len(offsets) else np.arange(len(offsets))
    problems: list[RingProblem] = []
    candidates = []
    for row, record in enumerate(keep[: len(geometries)]):
        rings = _rings(raw, offsets[record])
        if rings is not None:
            candidates.append((row, rings))
    if not candidates:
        return problems
    rows = [row for row, _ in candidates]
    wkb = (
        geometries.array.take(pa.array(rows)).to_pylist()
        if hasattr(geometries, "array")
        else [geometries[row] for row in rows]
    )
    read = shapely.from_wkb(wkb, on_invalid="ignore")
    for (row, rings), geom in zip(candidates, read, strict=True):
        signed = [_signed(r) for r in rings]
        shells = [shapely.Polygon(r) for r, s in zip(rings, signed, strict=True) if s < 0]
        holes = [(r, s) for r, s in zip(rings, signed, strict=True) if s > 0]
        file_area = -sum(signed)  # outer rings count, holes are cut out
        read_area = float(geom.area) if geom is not None else 0.0
        if not shells:  # every ring counter-clockwise: a writer that ignores orientation; GDAL nests them
            continue
        outside = [
            area
            for ring, area in holes
            if not any(
                s.covers(shapely.Point(ring[0])) and s.covers(shapely.Point(ring[len(ring) // 2])) for s in shells
            )
        ]
        if outside:
            problems.append(RingProblem(row, "hole_outside_shell", file_area, read_area, sum(outside)))
        elif abs(read_area - file_area) > max(0.01, 1e-6 * abs(file_area)):
            problems.append(RingProblem(row, "area_changed", file_area, read_area))
    return problems

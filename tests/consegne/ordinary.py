"""Small deliveries made of ordinary municipal data that used to crash or lose features silently.

Each builder writes one delivery into a folder, deterministically, from the corpus's SYNTHETIC
plan over the real boundary of Besate (tests/consegne/corpus/make_corpus.py), changing only what
the case needs: long text, a lying .cpg, infinite numbers, a short .dbf, a hole outside its shell,
GeoPackage views and triggers, a layer of mutually overlapping polygons.
"""

from __future__ import annotations

import sqlite3
import struct
import tempfile
from functools import cache
from pathlib import Path

import shapely

from .corpus import make_corpus as corpus

KEY_90 = "AT1 Ambito di trasformazione della Cascina Façade lungo la roggia e del Naviglio di Besate"
NAME_254 = ("Scheda d'ambito: " + "riqualificazione dell'area della Città giardino, perché è già così " * 5)[:254]
TEXT_10000 = "x" * 10_000
assert len(KEY_90) == 90 and len(NAME_254) == 254 and NAME_254.strip() == NAME_254


@cache
def _geometry():
    return corpus.comune_geometry()


def layers() -> dict[str, list[dict]]:
    """A fresh copy of the good delivery's layers (features as dicts), EPSG:32632."""
    return corpus.good_layers(_geometry())


def shapefile_zip(target: Path, data: dict, encoding: str = "UTF-8", edit=None, cpg: bytes | None = None) -> Path:
    """Write ``data`` as a zip of shapefiles; ``edit(folder)`` may change the files first, ``cpg``
    replaces every .cpg's content."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for code, feats in data.items():
            corpus.write_layer(folder / f"{code.upper()}.shp", feats, 32632, encoding)
        if cpg is not None:
            for path in folder.glob("*.cpg"):
                path.write_bytes(cpg)
        if edit is not None:
            edit(folder)
        corpus.zip_folder(folder, target)
    return target


def geopackage(target: Path, data: dict) -> Path:
    corpus.gpkg(target, data)
    return target


# --- the cases -------------------------------------------------------------------------------------


def long_text_zip(folder: Path) -> Path:
    """A 90-character key (NOME_AMB) and a 254-character SCHEDA, in CP1252 (one byte a character, so
    that 254 characters fill the widest .dbf field): legal in a .dbf, kept whole."""
    data = layers()
    data["ambiti_trasformazione"][0]["NOME_AMB"] = KEY_90
    data["aree_agricole"][0]["SCHEDA"] = NAME_254
    return shapefile_zip(folder / "long_text.zip", data, "CP1252")


def long_text_gpkg(folder: Path) -> Path:
    """10,000-character strings (a GeoPackage has no width): in SCHEDA and in the key NOME_AMB."""
    data = layers()
    data["ambiti_trasformazione"][0]["SCHEDA"] = TEXT_10000
    data["ambiti_rigenerazione"][0]["NOME_AMB"] = "AR1 " + TEXT_10000
    return geopackage(folder / "long_text.gpkg", data)


def lying_cpg_zip(folder: Path) -> Path:
    """CP1252 records whose .cpg says UTF-8."""
    return shapefile_zip(folder / "lying_cpg.zip", layers(), "CP1252", cpg=b"UTF-8")


def esri_cpg_zip(folder: Path) -> Path:
    """ISO 8859-1 records with ESRI's code-page name ``88591`` in the .cpg."""
    return shapefile_zip(folder / "esri_cpg.zip", layers(), "ISO-8859-1", cpg=b"88591")


def unknown_cpg_zip(folder: Path) -> Path:
    """CP1252 records with a code page no one knows in the .cpg."""
    return shapefile_zip(folder / "unknown_cpg.zip", layers(), "CP1252", cpg=b"PAGINA-42")


def _dbf_field(raw: bytes, field: bytes) -> tuple[int, int, int, int]:
    """(header length, record length, offset in the record, width) of a .dbf field."""
    header, length = struct.unpack("<HH", raw[8:12])
    offset, pos = 1, 32
    while raw[pos] != 0x0D:
        name, width = raw[pos : pos + 11].split(b"\0")[0], raw[pos + 16]
        if name == field:
            return header, length, offset, width
        offset, pos = offset + width, pos + 32
    raise KeyError(field)


def undetectable_zip(folder: Path) -> Path:
    """NOME_AMB of the first ambito holds bytes no Western code page makes text of; the .cpg says UTF-8."""

    def edit(tmp: Path) -> None:
        dbf = tmp / "AMBITI_TRASFORMAZIONE.dbf"
        raw = bytearray(dbf.read_bytes())
        header, _length, offset, width = _dbf_field(raw, b"NOME_AMB")
        junk = bytes((0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x01, 0x02, 0x03) * 8)[:width]
        raw[header + offset : header + offset + len(junk)] = junk
        dbf.write_bytes(raw)

    return shapefile_zip(folder / "undetectable.zip", layers(), edit=edit)


def deleted_record_zip(folder: Path) -> Path:
    """The second record of TESSUTO_URBANO_CONSOLIDATO is marked deleted in the .dbf."""

    def edit(tmp: Path) -> None:
        dbf = tmp / "TESSUTO_URBANO_CONSOLIDATO.dbf"
        raw = bytearray(dbf.read_bytes())
        header, length = struct.unpack("<HH", raw[8:12])
        raw[header + length] = ord("*")
        dbf.write_bytes(raw)

    return shapefile_zip(folder / "deleted_record.zip", layers(), edit=edit)


def invalid_utf8_gpkg(folder: Path) -> Path:
    """A GeoPackage (whose text must be UTF-8) with CP1252 bytes in one SCHEDA value."""
    target = geopackage(folder / "invalid_utf8.gpkg", layers())
    db = sqlite3.connect(target)
    # The spatial index's triggers call GDAL's SQL functions (absent here); the geometry does not
    # change, and GDAL reads every feature without the index.
    for name in ("ST_IsEmpty", "ST_MinX", "ST_MaxX", "ST_MinY", "ST_MaxY"):
        db.create_function(name, 1, lambda _geom: 0)
    db.execute(
        "UPDATE aree_agricole SET SCHEDA = CAST(? AS TEXT) WHERE fid = (SELECT min(fid) FROM aree_agricole)",
        [b"Citt\xe0 giardino"],
    )
    db.commit()
    db.close()
    return target


def numbers_zip(folder: Path) -> Path:
    """SUP_TERR (a real field) holding NaN, Infinity and 1e300 in three ambiti di trasformazione."""
    data = layers()
    ambiti = data["ambiti_trasformazione"]
    ambiti.append(
        {
            **ambiti[0],
            "NOME_AMB": "AT9 Numeri",
            "geometry": corpus.square(ambiti[0]["geometry"].representative_point(), 30),
        }
    )
    values = [b"NaN", b"Infinity", b"1e300"]

    def edit(tmp: Path) -> None:
        dbf = tmp / "AMBITI_TRASFORMAZIONE.dbf"
        raw = bytearray(dbf.read_bytes())
        header, length, offset, width = _dbf_field(raw, b"SUP_TERR")
        for row, text in enumerate(values):
            start = header + row * length + offset
            raw[start : start + width] = text.rjust(width)
        dbf.write_bytes(raw)

    return shapefile_zip(folder / "numbers.zip", data, edit=edit)


def short_dbf_zip(folder: Path, delta: int = -1) -> Path:
    """The .dbf header of TESSUTO_URBANO_CONSOLIDATO counts one record fewer (``delta``) than the .shp holds."""

    def edit(tmp: Path) -> None:
        dbf = tmp / "TESSUTO_URBANO_CONSOLIDATO.dbf"
        raw = bytearray(dbf.read_bytes())
        raw[4:8] = struct.pack("<I", struct.unpack("<I", raw[4:8])[0] + delta)
        dbf.write_bytes(raw)

    return shapefile_zip(folder / f"dbf_{'short' if delta < 0 else 'long'}.zip", layers(), edit=edit)


def hole_outside_zip(folder: Path) -> Path:
    """An area dismessa whose hole (a 20 m square) lies 100 m east of its 80 m shell."""
    data = layers()
    area = data["aree_dismesse"][0]
    shell = area["geometry"]
    x0, y0, x1, y1 = shell.bounds
    hole = shapely.box(x1 + 100, y0, x1 + 120, y0 + 20)
    area["geometry"] = shapely.Polygon(shell.exterior.coords, [hole.exterior.coords])
    return shapefile_zip(folder / "hole_outside.zip", data)


def _sqlite(path: Path, *statements: str) -> None:
    db = sqlite3.connect(path)
    try:
        for sql in statements:
            db.execute(sql)
        db.commit()
    finally:
        db.close()


def _as_view(folder: Path, name: str, layer: str, body: str) -> Path:
    """The good delivery as a GeoPackage whose ``layer`` is a view ``body`` over the table ``base``."""
    data = layers()
    data["base"] = data.pop(layer)
    target = geopackage(folder / name, data)
    _sqlite(
        target,
        f"CREATE VIEW {layer} AS {body}",
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, srs_id) "
        f"VALUES ('{layer}', 'features', '{layer}', 32632)",
        f"INSERT INTO gpkg_geometry_columns SELECT '{layer}', column_name, geometry_type_name, srs_id, z, m "
        "FROM gpkg_geometry_columns WHERE table_name = 'base'",
    )
    return target


def view_gpkg(folder: Path) -> Path:
    """ambiti_rigenerazione is a view over a plain table; aree_dismesse carries a trigger."""
    target = _as_view(folder, "view_and_trigger.gpkg", "ambiti_rigenerazione", "SELECT * FROM base")
    _sqlite(target, "CREATE TRIGGER dismesse_audit AFTER INSERT ON aree_dismesse BEGIN SELECT 1; END")
    return target


def recursive_view_gpkg(folder: Path) -> Path:
    """consumo_suolo is a view whose recursive query never ends (a denial of service as a layer)."""
    return _as_view(
        folder,
        "recursive_view.gpkg",
        "consumo_suolo",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT b.* FROM base b, n",
    )


OVERLAPPING = 20  # squares over one another: 20 × 19 / 2 = 190 overlapping pairs


def overlaps_gpkg(folder: Path, count: int = OVERLAPPING) -> Path:
    """aree_dismesse (must not overlap) made of ``count`` 60 m squares, each shifted 1 m from the last."""
    data = layers()
    first = data["aree_dismesse"][0]
    centre = first["geometry"].centroid
    data["aree_dismesse"] = [
        {**first, "geometry": shapely.box(centre.x + i, centre.y + i, centre.x + i + 60, centre.y + i + 60)}
        for i in range(count)
    ]
    return geopackage(folder / "overlaps.gpkg", data)

"""Build the committed corpus of small PGT deliveries (good, bad and hostile) from real comune boundaries.

Deterministic: run ``python tests/consegne/corpus/make_corpus.py`` and the same files come out.
The plan contents are SYNTHETIC (a grid over the real ISTAT boundary of Besate), labelled so in
every delivery's field SCHEDA ("sintetico / synthetic").
"""

from __future__ import annotations

import shutil
import stat
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import shapely
from pyogrio.raw import write
from pyproj import Transformer
from shapely import affinity
from shapely.geometry import Polygon, box

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
ISTAT = "015022"  # Besate
SCHEDA = "sintetico / synthetic"
FIXED_DATE = (2024, 1, 1, 0, 0, 0)


def comune_geometry(istat: str = ISTAT):
    meta, table = pyogrio.read_arrow(str(ROOT / "data" / "comuni_cmm.geojson"), where=f"istat_code = '{istat}'")
    geom = shapely.from_wkb(table.column("wkb_geometry").to_pylist()[0])
    to_utm = Transformer.from_crs(4326, 32632, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])))


def pieces(geom, n: int = 3) -> list:
    x0, y0, x1, y1 = geom.bounds
    dx, dy = (x1 - x0) / n, (y1 - y0) / n
    out = []
    for j in range(n):
        for i in range(n):
            part = geom.intersection(box(x0 + i * dx, y0 + j * dy, x0 + (i + 1) * dx, y0 + (j + 1) * dy))
            if part.area > 1000:
                out.append(shapely.MultiPolygon([part]) if part.geom_type == "Polygon" else part)
    return out


def square(center, size: float):
    x, y = center.x, center.y
    return box(x - size / 2, y - size / 2, x + size / 2, y + size / 2)


CLASS_DESC = {"1": "SUPERFICIE URBANIZZATA", "2": "SUPERFICIE URBANIZZABILE", "3": "SUPERFICIE AGRICOLA O NATURALE"}
DEST = {"100": "RESIDENZIALE", "200": "PRODUTTIVO"}


def good_layers(geom) -> dict[str, list[dict]]:
    """Layer code → features (dicts of regional fields plus 'geometry'), all in EPSG:32632."""
    parts = pieces(geom)
    classes = ["1", "1", "1", "1", "2"] + ["3"] * (len(parts) - 5)
    tuc_pieces = [p for p, c in zip(parts, classes, strict=True) if c == "1"]
    agr_pieces = [p for p, c in zip(parts, classes, strict=True) if c == "3"]
    core = tuc_pieces[0].representative_point()
    return {
        "consumo_suolo": [
            {"COD_ISTAT": ISTAT, "CLASSE": c, "DCLASSE": CLASS_DESC[c], "geometry": p}
            for p, c in zip(parts, classes, strict=True)
        ],
        "tessuto_urbano_consolidato": [
            {
                "COD_ISTAT": ISTAT,
                "LEGENDA": "TUC",
                "AMB_URB": f"TUC{i}",
                "COD_DEST1": code,
                "DCOD_DEST1": DEST[code],
                "SPEC_DEST": "",
                "SCHEDA": SCHEDA,
                "geometry": p,
            }
            for i, p in enumerate(tuc_pieces)
            for code in [("100", "200")[i % 2]]
        ],
        "aree_agricole": [
            {
                "COD_ISTAT": ISTAT,
                "LEGENDA": "Agricola",
                "COD_AGR": "1",
                "SPEC_AGR": "1",
                "SPEC_AGRD": "SEMINATIVO",
                "SCHEDA": SCHEDA,
                "geometry": p,
            }
            for p in agr_pieces
        ],
        "ambiti_trasformazione": [
            {
                "COD_ISTAT": ISTAT,
                "NOME_AMB": "AT1 Città Giardino",
                "AMB_TRAS": "AT1",
                "FUN_PREV1": "100",
                "DFUN_PREV1": "RESIDENZIALE",
                "SPEC_DEST": "",
                "SUP_TERR": round(parts[4].area, 1),
                "SCHEDA": SCHEDA,
                "geometry": parts[4],
            },
            # On agricultural land on purpose: the good delivery passes with a cross-layer warning.
            {
                "COD_ISTAT": ISTAT,
                "NOME_AMB": "AT2 Cascina Façade",
                "AMB_TRAS": "AT2",
                "FUN_PREV1": "200",
                "DFUN_PREV1": "PRODUTTIVO",
                "SPEC_DEST": "",
                "SUP_TERR": 10000.0,
                "SCHEDA": SCHEDA,
                "geometry": square(agr_pieces[0].representative_point(), 100),
            },
        ],
        "ambiti_rigenerazione": [
            {
                "COD_ISTAT": ISTAT,
                "NOME_AMB": "AR1 Ex filanda",
                "CATEGORIA": "1",
                "DCATEGORIA": "RIGENERAZIONE URBANA",
                "TIPO_INT": "2",
                "DTIPO_INT": "RIUSO",
                "SCHEDA": SCHEDA,
                "geometry": square(core, 80),
            }
        ],
        "aree_dismesse": [
            {
                "COD_ISTAT": ISTAT,
                "TIPO": "1",
                "DTIPO": "DISMESSA",
                "CONTAMINAZ": "2",
                "DCONTAMINA": "NON INDAGATA",
                "BONIFICA": "",
                "SCHEDA": SCHEDA,
                "geometry": square(core, 80),
            }
        ],
    }


def write_layer(path: Path, features: list[dict], crs: int, encoding: str | None = None, layer=None) -> None:
    names = [k for k in features[0] if k != "geometry"]
    geoms = [f["geometry"] for f in features]
    if crs != 32632:
        tr = Transformer.from_crs(32632, crs, always_xy=True)
        geoms = [
            shapely.transform(g, lambda xy, tr=tr: np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))) for g in geoms
        ]
    fields = [np.array([f[n] for f in features], dtype=object if n != "SUP_TERR" else float) for n in names]
    kwargs = {"encoding": encoding} if encoding else {}

    write(
        str(path),
        np.array(shapely.to_wkb(geoms), dtype=object),
        fields,
        names,
        layer=layer,
        geometry_type="MultiPolygon" if all(g.geom_type != "Polygon" for g in geoms) else "Unknown",
        crs=f"EPSG:{crs}",
        driver="GPKG" if path.suffix == ".gpkg" else "ESRI Shapefile",
        append=path.suffix == ".gpkg" and path.exists(),
        **kwargs,
    )


def zip_folder(folder: Path, target: Path, drop: tuple[str, ...] = ()) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(folder.iterdir()):
            if f.name.lower().endswith(drop):
                continue
            zf.writestr(_info(f.name), f.read_bytes())


def shapefile_zip(target: Path, layers: dict, crs: int, encoding: str = "UTF-8", drop=(), keep_cpg=True) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for code, feats in layers.items():
            write_layer(folder / f"{code.upper()}.shp", feats, crs, encoding)
        zip_folder(folder, target, drop + (() if keep_cpg else (".cpg",)))


def gpkg(target: Path, layers: dict, crs: int = 32632) -> None:
    target.unlink(missing_ok=True)
    for code, feats in layers.items():
        write_layer(target, feats, crs, layer=code)


def bad_attributes(layers: dict) -> dict:
    tuc = layers["tessuto_urbano_consolidato"]
    tuc[0]["COD_ISTAT"] = "015999"
    tuc[1]["COD_DEST1"] = ""
    layers["consumo_suolo"][0]["CLASSE"] = "9"
    layers["consumo_suolo"][1]["DCLASSE"] = "SUPERFICIE AGRICOLA"
    return layers


def bad_geometry(layers: dict, geom) -> dict:
    tuc = layers["tessuto_urbano_consolidato"]
    bowtie = Polygon([(0, 0), (60, 60), (60, 0), (0, 60)])
    c = tuc[0]["geometry"].representative_point()
    layers["aree_dismesse"][0]["geometry"] = affinity.translate(bowtie, c.x, c.y)
    tuc.append(dict(tuc[1]))  # an exact duplicate
    tuc.append({**tuc[0], "AMB_URB": "TUCX", "geometry": square(c, 50)})  # overlaps TUC0
    edge = shapely.get_point(geom.exterior if geom.geom_type == "Polygon" else geom.geoms[0].exterior, 0)
    layers["ambiti_trasformazione"][1]["geometry"] = square(edge, 200)  # straddles the boundary
    del layers["consumo_suolo"][2]  # a hole in the Carta del consumo di suolo
    sliver = Polygon([(c.x + 100, c.y), (c.x + 101, c.y), (c.x + 100, c.y + 0.5)])
    layers["ambiti_rigenerazione"].append(
        {**layers["ambiti_rigenerazione"][0], "NOME_AMB": "AR2 Scheggia", "geometry": sliver}
    )
    return layers


def _info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, FIXED_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def hostile(out: Path) -> None:
    def zf(name):
        return zipfile.ZipFile(out / name, "w", zipfile.ZIP_DEFLATED)

    with zf("hostile_traversal.zip") as z:
        z.writestr(_info("../../evil/CONSUMO_SUOLO.shp"), b"x" * 100)
    with zf("hostile_symlink.zip") as z:
        info = zipfile.ZipInfo("CONSUMO_SUOLO.shp", FIXED_DATE)
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        z.writestr(info, "/etc/passwd")
    with zf("hostile_nested.zip") as z:
        z.writestr(_info("CONSUMO_SUOLO.shp"), b"x" * 100)
        z.writestr(_info("altro/interno.zip"), (out / "good_3003_cp1252.zip").read_bytes())
    with zf("hostile_bomb.zip") as z:
        z.writestr(_info("CONSUMO_SUOLO.shp"), b"x" * 100)
        z.writestr(_info("CONSUMO_SUOLO.dbf"), b"\0" * (60 * 1024 * 1024))
    with zf("hostile_foreign_file.zip") as z:
        z.writestr(_info("CONSUMO_SUOLO.shp"), b"x" * 100)
        z.writestr(_info("setup.exe"), b"MZ" + b"\0" * 100)
    good = (out / "good_3003_cp1252.zip").read_bytes()
    (out / "hostile_truncated.zip").write_bytes(good[: len(good) // 2])
    (out / "hostile_wrong_extension.rar").write_bytes(b"Rar!\x1a\x07\x00" + b"\0" * 64)
    (out / "hostile_not_a_geopackage.gpkg").write_bytes(b"questo non e' un geopackage\n" * 10)


def main(out: Path = HERE) -> None:
    geom = comune_geometry()
    shapefile_zip(out / "good_3003_cp1252.zip", good_layers(geom), 3003, "CP1252", keep_cpg=False)
    gpkg(out / "good_32632.gpkg", good_layers(geom))
    variante = good_layers(geom)
    del variante["ambiti_trasformazione"][1]
    at3 = square(variante["aree_dismesse"][0]["geometry"].centroid, 40)
    variante["ambiti_trasformazione"].append(
        {
            **variante["ambiti_trasformazione"][0],
            "NOME_AMB": "AT3 Nuovo polo",
            "FUN_PREV1": "300",
            "DFUN_PREV1": "TERZIARIO",
            "geometry": at3,
        }
    )
    variante["ambiti_trasformazione"][0]["FUN_PREV1"], variante["ambiti_trasformazione"][0]["DFUN_PREV1"] = (
        "600",
        "MISTA",
    )
    gpkg(out / "variante_32632.gpkg", variante)
    shapefile_zip(out / "bad_attributes.zip", bad_attributes(good_layers(geom)), 32632)
    shapefile_zip(out / "bad_geometry.zip", bad_geometry(good_layers(geom), geom), 32632)
    shapefile_zip(out / "bad_missing_prj.zip", good_layers(geom), 32632, drop=("consumo_suolo.prj",))
    missing = good_layers(geom)
    missing["strade"] = missing.pop("consumo_suolo")
    shapefile_zip(out / "bad_missing_layer.zip", missing, 32632)
    shapefile_zip(out / "bad_crs_4326.zip", good_layers(geom), 4326)
    hostile(out)
    shutil.rmtree(out / "__pycache__", ignore_errors=True)


if __name__ == "__main__":
    main()

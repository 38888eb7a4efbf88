"""Synthetic PGT "Tavola delle previsioni" in the regional model, for every comune of CMM.

Each comune is cut by a square grid aligned across CMM (so neighbours' cells line up); cells
are ranked by distance from the comune's core with some noise, the nearest become tessuto
urbano consolidato, a ring becomes ambiti di trasformazione, the rest aree agricole; a few
urban cells become ambiti di rigenerazione and aree dismesse; every cell also gets its class of
the carta del consumo di suolo. Deterministic for a seed; ``scale`` is the total polygon count.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely

from . import LABEL, cached_path, comuni, publish, reference_digest
from .codelists import AGRICOLE_SPEC, AT_FUNZ, CONSUMO_CLASSE, CONTAMINAZIONE, DISMESSE_TIPO, RIG_TIPO_INT, TUC_DEST

GENERATOR_VERSION = 1
DEFAULT_SEED = 2026
DEFAULT_SCALE = 6_000
FEATURES_PER_CELL = 2.08  # a zoning polygon + a consumo-di-suolo polygon + a few overlays
MILANO = "015146"


def generate(source=None, *, scale: int | None = None, seed: int | None = None, **_) -> Path:
    """The GeoPackage for ``seed``/``scale``, generated once and then read from the cache."""
    opts = source.options if source is not None else {}
    seed = int(seed or opts.get("seed", DEFAULT_SEED))
    scale = int(scale or opts.get("scale", DEFAULT_SCALE))
    rows = comuni()
    path = cached_path("pgt", seed, scale, GENERATOR_VERSION, reference_digest(rows))
    if path.exists():
        return path
    tmp = path.with_name(path.stem + ".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    write_gpkg(tmp, build(rows, seed, scale))
    return publish(tmp, path)


def write_gpkg(path: Path, layers: dict[str, dict]) -> None:
    for code, data in layers.items():
        names = [n for n in data if n != "geometry"]
        pyogrio.raw.write(
            str(path), np.array(data["geometry"], dtype=object),
            [np.array(data[n], dtype=object) for n in names], names,
            layer=code, driver="GPKG", geometry_type="MultiPolygon", crs="EPSG:32632",
            promote_to_multi=True, append=path.exists(), layer_options={"SPATIAL_INDEX": "NO"},
            layer_metadata={"DESCRIPTION": f"PGT {code} – {LABEL}"},
        )


def build(rows, seed: int, scale: int) -> dict[str, dict]:
    side = cell_side(rows, scale / FEATURES_PER_CELL)
    layers: dict[str, dict] = defaultdict(lambda: defaultdict(list))
    for code, name, geom in rows:
        rng = np.random.default_rng([seed, int(code)])
        ComunePlan(code, name, geom, side, rng).add_to(layers)
    return layers


def cell_side(rows, cells_wanted: float) -> float:
    """Grid spacing giving about ``cells_wanted`` cells: boundary cells are counted, then refined."""
    side = math.sqrt(sum(g.area for _, _, g in rows) / cells_wanted)
    for _ in range(3):
        found = sum(len(_boxes(g, side)) for _, _, g in rows)
        side *= math.sqrt(found / cells_wanted)
    return side


def _boxes(geom, side: float) -> np.ndarray:
    minx, miny, maxx, maxy = geom.bounds
    xs = np.arange(math.floor(minx / side) * side, maxx, side)
    ys = np.arange(math.floor(miny / side) * side, maxy, side)
    gx, gy = np.meshgrid(xs, ys)
    boxes = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + side, gy.ravel() + side)
    shapely.prepare(geom)
    return boxes[shapely.intersects(geom, boxes)]


def grid_cells(geom, side: float) -> np.ndarray:
    """The grid squares clipped to ``geom``, polygonal parts only, slivers dropped."""
    cells = shapely.intersection(_boxes(geom, side), geom, grid_size=0.01)
    cells = np.array([_polygonal(c) for c in cells], dtype=object)
    keep = np.array([c is not None and c.area > 0.02 * side * side for c in cells], dtype=bool)
    return cells[keep]


def _polygonal(geom):
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else None


def _pick(rng, codes: dict, weights=None) -> tuple[str, str]:
    keys = list(codes)
    key = keys[rng.choice(len(keys), p=weights)]
    return key, codes[key]


class ComunePlan:
    """The synthetic plan of one comune: which cell is what, and the regional attributes."""

    def __init__(self, code: str, name: str, geom, side: float, rng):
        self.code, self.name, self.side, self.rng = code, name, side, rng
        self.cells = grid_cells(geom, side)
        core = shapely.point_on_surface(geom)
        dist = shapely.distance(shapely.centroid(self.cells), core)
        score = dist / max(dist.max(), 1.0) + rng.normal(0.0, 0.07, len(self.cells))
        self.order = np.argsort(score, kind="stable")
        self.urban_share = 0.85 if code == MILANO else rng.uniform(0.3, 0.6)

    def add_to(self, layers) -> None:
        n = len(self.cells)
        n_urban = max(1, round(self.urban_share * n))
        n_at = max(1, round(0.07 * n)) if n > 3 else 0
        urban, ring, rural = self.order[:n_urban], self.order[n_urban:n_urban + n_at], self.order[n_urban + n_at:]
        for i, idx in enumerate(urban):
            self._tessuto(layers, i, idx, i < max(1, 0.03 * n))
        for i, idx in enumerate(ring):
            self._trasformazione(layers, i, idx)
        for i, idx in enumerate(rural):
            self._agricola(layers, i, idx, i / max(len(rural), 1))
        picks = self.rng.permutation(urban)
        n_rig, n_dis = max(1, round(0.04 * n_urban)), max(1, round(0.03 * n_urban))
        for i, idx in enumerate(picks[:n_rig]):
            self._rigenerazione(layers, i, idx)
        for i, idx in enumerate(picks[n_rig:n_rig + n_dis]):
            self._dismessa(layers, i, idx)
        classes = {**dict.fromkeys(urban.tolist(), "1"), **dict.fromkeys(ring.tolist(), "2"),
                   **dict.fromkeys(rural.tolist(), "3")}
        for i, (idx, cls) in enumerate(sorted(classes.items())):
            self._add(layers, "consumo_suolo", "CS", i, self.cells[idx], CLASSE=cls, DCLASSE=CONSUMO_CLASSE[cls])

    def _add(self, layers, layer: str, prefix: str, i: int, geom, **attrs) -> None:
        data = layers[layer]
        data["geometry"].append(shapely.to_wkb(geom))
        data["ID"].append(f"{self.code}-{prefix}{i + 1:05d}")
        data["ISTAT_COM"].append(self.code)
        data["NOME_COM"].append(self.name)
        for key, value in attrs.items():
            data[key].append(value)
        data["SINTETICO"].append(LABEL)

    def _tessuto(self, layers, i, idx, historic: bool) -> None:
        if historic:
            code, desc = "NAF", TUC_DEST["NAF"]
        else:
            code, desc = _pick(self.rng, {k: v for k, v in TUC_DEST.items() if k != "NAF"}, [0.6, 0.2, 0.1, 0.1])
        self._add(layers, "tessuto_urbano_consolidato", "TUC", i, self.cells[idx], LEGENDA=f"Tessuto {desc.lower()}",
                  AMB_URB="TUC", COD_DEST1=code, DCOD_DEST1=desc, SPEC_DEST="", SCHEDA="")

    def _trasformazione(self, layers, i, idx) -> None:
        code, desc = _pick(self.rng, AT_FUNZ, [0.45, 0.25, 0.15, 0.15])
        cell = self.cells[idx]
        self._add(layers, "ambiti_trasformazione", "AT", i, cell, NOME_AMB=f"AT-{i + 1:02d}", AMB_TRAS="AT",
                  FUN_PREV1=code, DFUN_PREV1=desc, SPEC_DEST="", SUP_TERR=round(cell.area, 1),
                  SCHEDA=f"{self.code}_AT{i + 1:02d}.pdf")

    def _agricola(self, layers, i, idx, remoteness: float) -> None:
        weights = [0.7, 0.2, 0.1] if remoteness > 0.5 else [0.2, 0.3, 0.5]
        code, desc = _pick(self.rng, AGRICOLE_SPEC, weights)
        self._add(layers, "aree_agricole", "AG", i, self.cells[idx], LEGENDA="Aree agricole", COD_AGR="E",
                  SPEC_AGR=code, SPEC_AGRD=desc, SCHEDA="")

    def _rigenerazione(self, layers, i, idx) -> None:
        code, desc = _pick(self.rng, RIG_TIPO_INT)
        self._add(layers, "ambiti_rigenerazione", "AR", i, self.cells[idx], NOME_AMB=f"AR-{i + 1:02d}",
                  CATEGORIA="ARU", DCATEGORIA="Ambito di rigenerazione urbana", TIPO_INT=code, DTIPO_INT=desc,
                  SCHEDA=f"{self.code}_AR{i + 1:02d}.pdf")

    def _dismessa(self, layers, i, idx) -> None:
        geom = _polygonal(shapely.buffer(self.cells[idx], -0.2 * self.side, join_style="mitre"))
        if geom is None or geom.is_empty:
            geom = self.cells[idx]
        tipo, dtipo = _pick(self.rng, DISMESSE_TIPO)
        cont, dcont = _pick(self.rng, CONTAMINAZIONE, [0.5, 0.35, 0.15])
        self._add(layers, "aree_dismesse", "AD", i, geom, TIPO=tipo, DTIPO=dtipo, CONTAMINAZ=cont, DCONTAMINA=dcont,
                  BONIFICA="SI" if cont == "2" else "NO", SCHEDA=f"{self.code}_AD{i + 1:02d}.pdf")

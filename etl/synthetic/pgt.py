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
from .codelists import codes

GENERATOR_VERSION = 2  # 2: codes and descriptions of the delivery specification, COD_ISTAT
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
            str(path),
            np.array(data["geometry"], dtype=object),
            [_column(data[n]) for n in names],
            names,
            layer=code,
            driver="GPKG",
            geometry_type="MultiPolygon",
            crs="EPSG:32632",
            promote_to_multi=True,
            append=path.exists(),
            layer_options={"SPATIAL_INDEX": "NO"},
            layer_metadata={"DESCRIPTION": f"PGT {code} – {LABEL}"},
        )


def _column(values: list) -> np.ndarray:
    """Numbers as a real column (the specification types SUP_TERR as real), everything else as text."""
    if values and all(isinstance(v, float) for v in values):
        return np.array(values, dtype=np.float64)
    return np.array(values, dtype=object)


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
    """The grid squares clipped to ``geom``, polygonal parts only; slivers are merged into the kept
    cell they share most border with, so the cells still cover the whole comune (the carta del
    consumo di suolo must: the delivery check reports any gap)."""
    cells = shapely.intersection(_boxes(geom, side), geom, grid_size=0.01)
    cells = np.array([c for c in (_polygonal(c) for c in cells) if c is not None and not c.is_empty], dtype=object)
    small = shapely.area(cells) <= 0.02 * side * side
    kept, slivers = cells[~small], cells[small]
    if len(kept) == 0:
        return cells
    tree = shapely.STRtree(kept)
    for sliver in slivers:
        touching = tree.query(sliver, predicate="intersects")
        if len(touching) == 0:
            kept = np.append(kept, np.array([sliver], dtype=object))  # an isolated piece stays a cell
            continue
        shared = shapely.length(shapely.intersection(kept[touching], sliver.boundary))
        target = touching[int(np.argmax(shared))]
        kept[target] = shapely.union(kept[target], sliver, grid_size=0.01)
    return kept


def _polygonal(geom):
    if shapely.get_type_id(geom) in (3, 6):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
    return shapely.union_all(parts) if parts else None


def _pick(rng, code_list: dict[str, str], weights: dict[str, float] | None = None) -> tuple[str, str]:
    """A (code, description) of the specification's list; ``weights`` by code (unnamed codes: never,
    codes the specification lacks: ignored; no weight left: every code alike)."""
    keys = list(code_list)
    p = np.array([(weights or {}).get(k, 0.0) for k in keys], dtype=float)
    p = p / p.sum() if p.sum() > 0 else None
    key = keys[rng.choice(len(keys), p=p)]
    return key, code_list[key]


# How often each code of the specification is drawn (the descriptions always come from the spec).
DEST_WEIGHTS = {"100": 0.55, "200": 0.2, "300": 0.1, "400": 0.05, "500": 0.1}
AT_WEIGHTS = {"100": 0.4, "200": 0.2, "300": 0.15, "400": 0.05, "500": 0.05, "600": 0.15}
CONTAMINATION_WEIGHTS = {"0": 0.5, "1": 0.15, "2": 0.35}
AGR_WEIGHTS_REMOTE, AGR_WEIGHTS_FRINGE = {"1": 0.3, "2": 0.5, "3": 0.2}, {"1": 0.5, "2": 0.1, "3": 0.4}
CROP_WEIGHTS = {"1": 0.6, "2": 0.2, "3": 0.1, "4": 0.1}
CONTAMINATED = "1"  # the code whose areas need a bonifica


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
        urban, ring, rural = self.order[:n_urban], self.order[n_urban : n_urban + n_at], self.order[n_urban + n_at :]
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
        for i, idx in enumerate(picks[n_rig : n_rig + n_dis]):
            self._dismessa(layers, i, idx)
        # LR 31/2014 classes in the specification's order: urbanised, to be urbanised, agricultural/natural.
        consumo = codes("consumo_suolo", "CLASSE")
        urbanised, to_urbanise, natural = list(consumo)[:3]
        classes = {
            **dict.fromkeys(urban.tolist(), urbanised),
            **dict.fromkeys(ring.tolist(), to_urbanise),
            **dict.fromkeys(rural.tolist(), natural),
        }
        for i, (idx, cls) in enumerate(sorted(classes.items())):
            self._add(layers, "consumo_suolo", "CS", i, self.cells[idx], CLASSE=cls, DCLASSE=consumo[cls])

    def _add(self, layers, layer: str, prefix: str, i: int, geom, **attrs) -> None:
        data = layers[layer]
        data["geometry"].append(shapely.to_wkb(geom))
        data["ID"].append(f"{self.code}-{prefix}{i + 1:05d}")
        data["COD_ISTAT"].append(self.code)  # the specification's mandatory field
        data["ISTAT_COM"].append(self.code)  # the regional mosaic's name, read by etl/sources/pgt_sintetico.yaml
        data["NOME_COM"].append(self.name)
        for key, value in attrs.items():
            data[key].append(value)
        data["SINTETICO"].append(LABEL)

    def _tessuto(self, layers, i, idx, historic: bool) -> None:
        dest = codes("tessuto_urbano_consolidato", "COD_DEST1")
        if historic:  # the historic core is residential fabric; AMB_URB (free text) marks it
            code = "100" if "100" in dest else next(iter(dest))
            desc, legenda, ambito = dest[code], "Nucleo di antica formazione", "NAF"
        else:
            code, desc = _pick(self.rng, dest, DEST_WEIGHTS)
            legenda, ambito = f"Tessuto {desc.lower()}", "TUC"
        self._add(
            layers,
            "tessuto_urbano_consolidato",
            "TUC",
            i,
            self.cells[idx],
            LEGENDA=legenda,
            AMB_URB=ambito,
            COD_DEST1=code,
            DCOD_DEST1=desc,
            SPEC_DEST="",
            SCHEDA="",
        )

    def _trasformazione(self, layers, i, idx) -> None:
        code, desc = _pick(self.rng, codes("ambiti_trasformazione", "FUN_PREV1"), AT_WEIGHTS)
        cell = self.cells[idx]
        self._add(
            layers,
            "ambiti_trasformazione",
            "AT",
            i,
            cell,
            NOME_AMB=f"AT-{i + 1:02d}",
            AMB_TRAS="AT",
            FUN_PREV1=code,
            DFUN_PREV1=desc,
            SPEC_DEST="",
            SUP_TERR=round(cell.area, 1),
            SCHEDA=f"{self.code}_AT{i + 1:02d}.pdf",
        )

    def _agricola(self, layers, i, idx, remoteness: float) -> None:
        weights = AGR_WEIGHTS_REMOTE if remoteness > 0.5 else AGR_WEIGHTS_FRINGE
        kind, legenda = _pick(self.rng, codes("aree_agricole", "COD_AGR"), weights)
        crop, crop_desc = _pick(self.rng, codes("aree_agricole", "SPEC_AGR"), CROP_WEIGHTS)
        self._add(
            layers,
            "aree_agricole",
            "AG",
            i,
            self.cells[idx],
            LEGENDA=legenda,
            COD_AGR=kind,
            SPEC_AGR=crop,
            SPEC_AGRD=crop_desc,
            SCHEDA="",
        )

    def _rigenerazione(self, layers, i, idx) -> None:
        code, desc = _pick(self.rng, codes("ambiti_rigenerazione", "TIPO_INT"))
        categoria = codes("ambiti_rigenerazione", "CATEGORIA")
        urbana = next(iter(categoria))  # the first category: rigenerazione urbana (inside the TUC)
        self._add(
            layers,
            "ambiti_rigenerazione",
            "AR",
            i,
            self.cells[idx],
            NOME_AMB=f"AR-{i + 1:02d}",
            CATEGORIA=urbana,
            DCATEGORIA=categoria[urbana],
            TIPO_INT=code,
            DTIPO_INT=desc,
            SCHEDA=f"{self.code}_AR{i + 1:02d}.pdf",
        )

    def _dismessa(self, layers, i, idx) -> None:
        geom = _polygonal(shapely.buffer(self.cells[idx], -0.2 * self.side, join_style="mitre"))
        if geom is None or geom.is_empty:
            geom = self.cells[idx]
        tipo, dtipo = _pick(self.rng, codes("aree_dismesse", "TIPO"))
        cont, dcont = _pick(self.rng, codes("aree_dismesse", "CONTAMINAZ"), CONTAMINATION_WEIGHTS)
        self._add(
            layers,
            "aree_dismesse",
            "AD",
            i,
            geom,
            TIPO=tipo,
            DTIPO=dtipo,
            CONTAMINAZ=cont,
            DCONTAMINA=dcont,
            BONIFICA="SI" if cont == CONTAMINATED else "NO",
            SCHEDA=f"{self.code}_AD{i + 1:02d}.pdf",
        )

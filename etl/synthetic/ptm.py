"""Synthetic PTM layers: LUM circles around the real stations, Rete Verde, ambiti agricoli strategici,
and the areas of the Re.mix incubator. Deterministic for a seed; one GeoPackage, one layer each.

The real PTM shapefiles sit behind CMM's WebSIT catalogue, not reachable offline; the shapes here
follow the plan's rules where known (LUM radius by level, from ~200 m to just over 500 m) and are
otherwise plausible stand-ins, labelled synthetic in every attribute table.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely

from remix import db

from . import LABEL, MissingReference, cached_path, comuni, publish, reference_digest

GENERATOR_VERSION = 1
DEFAULT_SEED = 2026
LUM_RADIUS_M = {1: 520, 2: 350, 3: 200}  # level 1 = main interchange … level 3 = local stop
MILANO = "015146"
INCUBATOR_STATES = ["candidata", "in istruttoria", "attiva"]


def generate(source=None, *, seed: int | None = None, **_) -> Path:
    opts = source.options if source is not None else {}
    seed = int(seed or opts.get("seed", DEFAULT_SEED))
    rows = comuni()
    stations = _stations()
    ref = reference_digest(rows)[:6] + str(len(stations))
    path = cached_path("ptm", seed, 0, GENERATOR_VERSION, ref)
    if path.exists():
        return path
    tmp = path.with_name(path.stem + ".tmp.gpkg")
    tmp.unlink(missing_ok=True)
    rng = np.random.default_rng(seed)
    layers = {
        "ptm_lum": lum(stations, rng),
        "ptm_rete_verde": rete_verde(rows, _zones(), rng),
        "ptm_ambiti_agricoli_strategici": ambiti_agricoli(rows, rng),
        "remix_incubatore": incubatore(rows, rng),
    }
    for code, data in layers.items():
        names = [n for n in data if n != "geometry"]
        pyogrio.raw.write(
            str(tmp),
            np.array(data["geometry"], dtype=object),
            [np.array(data[n], dtype=object) for n in names],
            names,
            layer=code,
            driver="GPKG",
            geometry_type="MultiPolygon",
            crs="EPSG:32632",
            promote_to_multi=True,
            append=tmp.exists(),
            layer_metadata={"DESCRIPTION": f"{code} – {LABEL}"},
        )
    return publish(tmp, path)


def _stations() -> list[tuple[str, str, str, shapely.Point]]:
    # The RFI stations only (source ``stazioni``, which the PTM sources depend on): the metro stops
    # loaded later by ``stazioni_metro`` must not change the synthetic file, or every second
    # ``etl run --all`` would load new versions of the PTM layers.
    rows = db.fetch_all(
        "SELECT code, name, istat_code, ST_AsBinary(geom) FROM mappature_stazione WHERE network = 'rfi' ORDER BY code"
    )
    if not rows:
        raise MissingReference("Caricare prima le stazioni (etl run stazioni).")
    return [(c, n, i, shapely.from_wkb(bytes(g))) for c, n, i, g in rows]


def _zones() -> dict[str, str]:
    return dict(
        db.fetch_all(
            "SELECT c.istat_code, z.name FROM mappature_comune c JOIN mappature_zonaomogenea z "
            "ON z.id = c.zona_id ORDER BY c.istat_code"
        )
    )


def _layer() -> dict[str, list]:
    return defaultdict(list)


def _add(data, geom, key: str, name: str, istat: str, **attrs) -> None:
    data["geometry"].append(shapely.to_wkb(geom))
    data["ID"].append(key)
    data["NOME"].append(name)
    data["ISTAT_COM"].append(istat)
    for k, v in attrs.items():
        data[k].append(v)
    data["SINTETICO"].append(LABEL)


def lum(stations, rng) -> dict:
    """A circle per station; Milano's stations are level 1, the others level 2 or 3."""
    data = _layer()
    for code, name, istat, point in stations:
        level = 1 if istat == MILANO else int(rng.choice([2, 3], p=[0.4, 0.6]))
        radius = LUM_RADIUS_M[level]
        _add(
            data,
            point.buffer(radius, quad_segs=16),
            f"LUM-{code}",
            f"LUM {name}",
            istat,
            COD_STAZ=code,
            LIVELLO=level,
            RAGGIO_M=radius,
        )
    return data


def rete_verde(rows, zones: dict[str, str], rng) -> dict:
    """Per zona omogenea: a green corridor threading its comuni, and two nodes in open land."""
    data = _layer()
    by_zone = defaultdict(list)
    for code, _name, geom in rows:
        if code != MILANO:
            by_zone[zones.get(code, "")].append((code, shapely.point_on_surface(geom)))
    cmm = shapely.union_all([g for _, _, g in rows])
    for zi, zone in enumerate(sorted(by_zone)):
        members = by_zone[zone]
        picks = sorted(rng.choice(len(members), size=min(5, len(members)), replace=False))
        points = sorted((members[i][1] for i in picks), key=lambda p: (p.x, p.y))
        if len(points) >= 2:
            corridor = shapely.LineString(points).buffer(300, quad_segs=4).intersection(cmm)
            _add(
                data,
                corridor,
                f"RVM-C{zi + 1:02d}",
                f"Corridoio verde {zone}",
                "",
                TIPO="C",
                DTIPO="Corridoio della Rete Verde",
                ZONA=zone,
            )
        for ni in range(2):
            code, point = members[int(rng.integers(len(members)))]
            node = point.buffer(float(rng.uniform(500, 900)), quad_segs=8).intersection(cmm)
            _add(
                data,
                node,
                f"RVM-N{zi + 1:02d}{ni + 1}",
                f"Nodo verde {zone} {ni + 1}",
                code,
                TIPO="N",
                DTIPO="Nodo della Rete Verde",
                ZONA=zone,
            )
    return data


def ambiti_agricoli(rows, rng) -> dict:
    """Open land of most comuni: the comune minus a built-up core around its centre."""
    data = _layer()
    for code, name, geom in rows:
        if code == MILANO or rng.random() > 0.8:
            continue
        core = shapely.point_on_surface(geom).buffer(np.sqrt(geom.area) * float(rng.uniform(0.25, 0.4)))
        land = geom.difference(core).buffer(-40, join_style="mitre")
        if land.is_empty:
            continue
        _add(
            data,
            land,
            f"AAS-{code}",
            f"Ambito agricolo strategico di {name}",
            code,
            COD_AAS="AAS",
            DESCR="Ambito agricolo strategico (PTM)",
        )
    return data


def incubatore(rows, rng, count: int = 12) -> dict:
    """A dozen candidate regeneration areas of the Re.mix incubator, in comuni drawn by the seed."""
    data = _layer()
    for i, idx in enumerate(sorted(rng.choice(len(rows), size=count, replace=False))):
        code, name, geom = rows[idx]
        centre = shapely.point_on_surface(geom)
        half = float(rng.uniform(120, 320))
        area = shapely.box(centre.x - half, centre.y - half * 0.7, centre.x + half, centre.y + half * 0.7)
        area = area.intersection(geom)
        _add(
            data,
            area,
            f"INC-{i + 1:02d}",
            f"Area incubatore {i + 1:02d} – {name}",
            code,
            STATO=INCUBATOR_STATES[int(rng.integers(3))],
            SUP_M2=round(area.area, 1),
        )
    return data

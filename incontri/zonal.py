"""Zonal statistics of every raster layer over the declared area sets (criteria/zonal.yaml).

exactextract computes, for each area, the coverage-weighted mean and the max of the raster and
the share of the area above the raster's threshold (the mean of a 0/1 raster of ``value >
threshold``), with cells weighted by the fraction of them the area covers. Results are stored in
``ZonalStat`` with the raster's and the areas' ``data_version``: :func:`refresh` recomputes only
the pairs whose versions moved on (called after every ETL load, see ``hooks``).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from django.db import transaction
from django.db.models import Q
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource

from layers import rasters
from layers.models import Layer
from remix import db

from . import criteria
from .models import ZonalStat

log = logging.getLogger(__name__)
STORAGE_SRID = 32632


@dataclass(frozen=True)
class AreaSet:
    code: str
    relation: str
    id_column: str
    istat_column: str | None
    layer: str

    def version(self) -> int:
        return Layer.objects.filter(slug=self.layer).values_list("data_version", flat=True).first() or 0


def area_sets(codes=None) -> list[AreaSet]:
    """The declared area sets whose relation exists (optional ones are skipped when missing); one query."""
    declared = [(code, d) for code, d in criteria.zonal()["area_sets"].items() if not codes or code in codes]
    if not declared:
        return []
    present = db.existing_relations(d["relation"] for _, d in declared)
    out = []
    for code, d in declared:
        if d["relation"] not in present:
            if not d.get("optional"):
                log.warning("zonal statistics: relation %s of area set %s is missing", d["relation"], code)
            continue
        out.append(AreaSet(code, d["relation"], d["id"], d.get("istat"), d.get("layer", d["relation"])))
    return out


def sets_by_layer() -> dict[str, str]:
    """{registry layer: area set} of the declared area sets whose ids are the layer's feature ids (opportunity
    areas, NIL, incubator areas): an identify hit of that layer is an area of that set. From the declaration
    alone (no query); :func:`area_sets` tells which of them exist."""
    return {d.get("layer", d["relation"]): code for code, d in criteria.zonal()["area_sets"].items() if d["id"] == "id"}


def raster_layers(slugs=None) -> list[Layer]:
    qs = Layer.objects.filter(kind=Layer.Kind.RASTER).order_by("slug")
    return [r for r in qs if (not slugs or r.slug in slugs) and rasters.local_path(r).exists()]


def threshold(layer: Layer) -> float:
    """The declared threshold, else the lower bound of the layer's highest style class."""
    declared = (criteria.zonal().get("rasters") or {}).get(layer.slug) or {}
    if "threshold" in declared:
        return float(declared["threshold"])
    classes = (layer.style or {}).get("classes") or []
    mins = [float(c["min"]) for c in classes if c.get("min") is not None]
    return max(mins) if mins else 0.0


class Raster:
    """A raster read once into memory, with its 0/1 "above threshold" companion."""

    def __init__(self, path, limit: float):
        data, head = rasters.read_band(path)
        self.crs, self.cell_area, extent = head.crs, head.pixel_area, head.bounds
        above = np.where(np.isnan(data), np.nan, (data > limit).astype("float64"))
        wkt = self.crs.to_wkt()
        self.values = NumPyRasterSource(data, *extent, nodata=np.nan, name="v", srs_wkt=wkt)
        self.above = NumPyRasterSource(above, *extent, nodata=np.nan, name="a", srs_wkt=wkt)
        self.threshold = limit

    def stats(self, geoms: list) -> list[dict]:
        """mean, max, share_above and covered_m2 for each geometry (EPSG:32632), in order."""
        if not geoms:
            return []
        frame = gpd.GeoDataFrame({"n": np.arange(len(geoms))}, geometry=geoms, crs=STORAGE_SRID)
        frame = frame.to_crs(self.crs) if self.crs.to_epsg() != STORAGE_SRID else frame
        out = exact_extract([self.values, self.above], frame, ["mean", "max", "count"], output="pandas")
        cell = self.cell_area
        rows = []
        for mean, vmax, share, count in zip(out["v_mean"], out["v_max"], out["a_mean"], out["v_count"], strict=True):
            rows.append(
                {
                    "mean": _num(mean),
                    "max": _num(vmax),
                    "share_above": _num(share),
                    "covered_m2": float(count or 0) * cell,
                }
            )
        return rows

    @classmethod
    def open(cls, layer: Layer) -> Raster:
        return cls(rasters.local_path(layer), threshold(layer))


def _num(value) -> float | None:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)


def read_areas(area_set: AreaSet) -> tuple[list[str], list[str], list]:
    """ids, ISTAT codes and shapely geometries of an area set."""
    query = db.compose(
        "SELECT {id}::text, {istat}, ST_AsBinary(geom) FROM {rel} WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom)"
        " ORDER BY 1",
        id=area_set.id_column,
        rel=area_set.relation,
        istat=db.compose("{c}::text", c=area_set.istat_column) if area_set.istat_column else db.SQL("''"),
    )
    rows = db.fetch_all(query)
    return (
        [r[0] for r in rows],
        [r[1] or "" for r in rows],
        list(shapely.from_wkb([bytes(r[2]) for r in rows])) if rows else [],
    )


def has_areas(relation: str) -> bool:
    """True when ``relation`` exists and holds at least one area with a geometry (what :func:`read_areas` would
    read)."""
    return db.relation_exists(relation) and db.fetch_value(
        db.compose(
            "SELECT EXISTS (SELECT 1 FROM {rel} WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom))",
            rel=db.relation(relation),
        )
    )


def compute(layer: Layer, area_set: AreaSet, raster: Raster | None = None) -> int:
    """Recompute and store the statistics of ``layer`` over ``area_set``; returns the rows stored."""
    raster = raster or Raster.open(layer)
    version = area_set.version()
    ids, istat, geoms = read_areas(area_set)
    stats = raster.stats(geoms)
    rows = [
        ZonalStat(
            raster=layer.slug,
            raster_version=layer.data_version,
            area_set=area_set.code,
            area_id=i,
            area_version=version,
            istat_code=c,
            threshold=raster.threshold,
            **s,
        )
        for i, c, s in zip(ids, istat, stats, strict=True)
    ]
    with transaction.atomic():
        ZonalStat.objects.filter(raster=layer.slug, area_set=area_set.code).delete()
        ZonalStat.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def is_current(layer: Layer, area_set: AreaSet) -> bool:
    """True when stored statistics exist for exactly the current versions of the raster and the areas, or
    when the set has no areas and nothing is stored.

    :func:`compute` replaces a pair's rows in one transaction, all with the same versions and threshold, so
    one row tells (an index lookup, where comparing every row read each of an area set's tens of thousands)."""
    row = (
        ZonalStat.objects.filter(raster=layer.slug, area_set=area_set.code)
        .order_by("area_id")  # the (raster, area_set, area_id) key's index
        .values_list("raster_version", "area_version", "threshold")
        .first()
    )
    if row is None:
        return not has_areas(area_set.relation)  # an empty set stores nothing: current, not recomputed each time
    return row == (layer.data_version, area_set.version(), threshold(layer))


def refresh(rasters=None, sets=None, force: bool = False) -> list[tuple[str, str, int]]:
    """Recompute the (raster, area set) pairs that are stale (or all with ``force``)."""
    done = []
    for layer in raster_layers(rasters):
        raster = None
        for area_set in area_sets(sets):
            if not force and is_current(layer, area_set):
                continue
            raster = raster or Raster.open(layer)
            done.append((layer.slug, area_set.code, compute(layer, area_set, raster)))
    return done


def stats_for(area_set: str, area_id: str) -> list[dict]:
    """The stored statistics of one area, with each raster's title and whether they are current."""
    return stats_for_many(area_set, [str(area_id)]).get(str(area_id), [])


def stats_for_many(area_set: str, area_ids: list[str]) -> dict[str, list[dict]]:
    """:func:`stats_for` of several areas of one set, in one query: area id → its statistics (areas with none
    stored are left out)."""
    return stats_for_sets({area_set: area_ids}).get(area_set, {})


def stats_for_sets(
    ids_by_set: dict[str, list[str]], existing: list[AreaSet] | None = None
) -> dict[str, dict[str, list[dict]]]:
    """:func:`stats_for_many` of several area sets at once (an identify click over several area layers):
    area set → area id → its statistics, with the registry and the statistics each read once. ``existing``:
    :func:`area_sets` of these codes when the caller has it already."""
    sets = {s.code: s for s in (area_sets(list(ids_by_set)) if existing is None else existing)}
    registry = Layer.objects.filter(Q(kind=Layer.Kind.RASTER) | Q(slug__in={s.layer for s in sets.values()}))
    layers, versions = {}, {}
    for r in registry:  # the rasters, and the layers that version the areas
        versions[r.slug] = r.data_version
        if r.kind == Layer.Kind.RASTER:
            layers[r.slug] = r
    wanted = Q()
    for code, ids in ids_by_set.items():
        wanted |= Q(area_set=code, area_id__in=[str(i) for i in ids])
    out: dict[str, dict[str, list[dict]]] = {code: {} for code in ids_by_set}
    for row in ZonalStat.objects.filter(wanted).order_by("area_set", "area_id", "raster"):
        area_version = (versions.get(sets[row.area_set].layer) or 0) if row.area_set in sets else None
        layer = layers.get(row.raster)
        current = bool(
            layer
            and area_version is not None
            and row.raster_version == layer.data_version
            and row.area_version == area_version
        )
        out[row.area_set].setdefault(row.area_id, []).append(
            {
                "raster": row.raster,
                "title": layer.title_it if layer else row.raster,
                "title_en": layer.title_en if layer else row.raster,
                "synthetic": bool(layer and layer.synthetic),
                "mean": row.mean,
                "max": row.max,
                "share_above": row.share_above,
                "threshold": row.threshold,
                "covered_m2": row.covered_m2,
                "raster_version": row.raster_version,
                "area_version": row.area_version,
                "current": current,
                "computed_at": row.computed_at.isoformat(),
            }
        )
    return out


def stats_for_geometry(geom) -> list[dict]:
    """Statistics of every raster over one geometry (EPSG:32632 shapely), computed now (drawn areas)."""
    out = []
    for layer in raster_layers():
        raster = Raster.open(layer)
        (s,) = raster.stats([geom])
        out.append(
            {
                "raster": layer.slug,
                "title": layer.title_it,
                "title_en": layer.title_en,
                "synthetic": layer.synthetic,
                "threshold": raster.threshold,
                "raster_version": layer.data_version,
                **s,
            }
        )
    return out

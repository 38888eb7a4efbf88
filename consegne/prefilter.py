"""Prefilters of the geometric checks, computed with GEOS in bulk (shapely) before the exact SQL.

Two questions are asked of every feature of a delivery, and for almost all of them the answer
is "nothing to see": does it overlap a neighbour, and does it reach the comune's boundary? In
SQL each took a join or a GEOS call per feature (a grid hash join compared hundreds of thousands
of boxes for a 50,000-polygon delivery). Here:

- GEOS's STRtree finds, in one bulk query per layer, the pairs of features whose bounding boxes,
  shrunk by ``TOLERANCE_M``, intersect: the only candidates of the overlap and cross-layer checks;
- a prepared-polygon test (``contains_properly``) marks the features that lie well inside the comune
  (inside its boundary shrunk by the tolerance and a further ``MARGIN_M``): the boundary checks
  look only at the others, the "edge" features.

Both are conservative filters: SQL then examines the candidates exactly (ST_Relate,
ST_Intersection, ST_Covers), so the findings do not depend on shapely's GEOS version. Geometries
come from the delivered WKB of layers in EPSG:32632; layers delivered in another CRS (or with a
geometry shapely cannot read) get their boxes from the staged geometries and count as edge
features throughout.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pyarrow as pa
import shapely
from django.db import connection

from remix import db
from remix.db import copy

# Neighbours that only share an edge must not become candidates: their boxes are shrunk by this
# much (overlaps narrower than twice it, 10 cm, are not reported: a hundredth of a millimetre at
# 1:10,000).
TOLERANCE_M = 0.05
# How far inside the (shrunk) boundary a feature must be to skip the exact boundary checks.
MARGIN_M = 0.01


class Layers:
    """The geometries (or at least the boxes) of each staged layer, by feature id."""

    def __init__(self):
        self.geoms: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # code → (fids, shapely geometries)
        self.boxes: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # code → (fids, bounds n×4)
        self.reprojected: list[str] = []

    def add_wkb(self, code: str, first_fid: int, geometries) -> bool:
        """A layer in EPSG:32632, from its WKB (an ArrowGeometries or a list). False, and nothing added,
        when shapely cannot read a geometry PostGIS may have read: the caller takes the staged boxes."""
        array = getattr(geometries, "array", None)
        wkb = array.to_numpy(zero_copy_only=False) if array is not None else np.array(list(geometries), object)
        geoms = shapely.from_wkb(wkb, on_invalid="ignore")
        if (shapely.is_missing(geoms) & (wkb != None)).any():  # noqa: E711 - element-wise on an object array
            return False
        fids = np.arange(first_fid, first_fid + len(wkb))
        known = self._add_boxes(code, fids, shapely.bounds(geoms))
        self.geoms[code] = (fids[known], geoms[known])
        return True

    def add_staged(self, table: db.Composable, code: str) -> None:
        """A reprojected layer: its boxes read back from the staging table ``table``."""
        rows = db.fetch_all(
            db.compose(
                "SELECT fid, ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)"
                " FROM {table} WHERE layer = %s AND geom IS NOT NULL",
                table=table,
            ),
            [code],
        )
        fids = np.array([r[0] for r in rows], dtype=np.int64)
        self._add_boxes(code, fids, np.array([r[1:] for r in rows], dtype=float).reshape(-1, 4))
        self.reprojected.append(code)

    def _add_boxes(self, code: str, fids: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        known = ~np.isnan(bounds).any(axis=1)  # missing or empty geometries have no box (never "ok")
        self.boxes[code] = (fids[known], bounds[known])
        return known

    def pairs(self, same: Iterable[str], cross: Iterable[tuple[str, str]]) -> np.ndarray:
        """Candidate (fid, fid) pairs: within each layer of ``same`` (lower fid first) and between
        the layers of each ``cross`` pair (the first layer's feature first).

        The tree holds the features' own boxes and is queried with boxes shrunk by twice the
        tolerance: the same pairs as shrinking both, without building a second set of boxes.
        """
        found = [np.empty((0, 2), dtype=np.int64)]
        for code, other in [(code, code) for code in same] + [c for c in cross if c[0] != c[1]]:
            if code not in self.boxes or other not in self.boxes:
                continue
            (afids, abounds), (bfids, _) = self.boxes[code], self.boxes[other]
            i, j = self._tree(other).query(_shrunk(abounds, 2 * TOLERANCE_M))
            pairs = np.column_stack([afids[i], bfids[j]])
            if code == other:  # each unordered pair once, lower fid first (whichever side found it)
                pairs = np.unique(np.sort(pairs[i != j], axis=1), axis=0)
            found.append(pairs)
        return np.concatenate(found)

    def _tree(self, code: str) -> shapely.STRtree:
        if code in self.geoms:  # GEOS indexes a geometry by its envelope: no need for boxes
            return shapely.STRtree(self.geoms[code][1])
        return shapely.STRtree(_shrunk(self.boxes[code][1], 0.0))

    def edge(self, inner_wkb: bytes | None) -> np.ndarray:
        """The fids of the features not certainly inside ``inner_wkb`` (shrunk by MARGIN_M): those
        reaching near or beyond it, and every feature of a reprojected layer."""
        found = [self.boxes[code][0] for code in self.reprojected]
        core = None
        if inner_wkb is not None:
            core = shapely.buffer(shapely.from_wkb(inner_wkb), -MARGIN_M)
            shapely.prepare(core)
        for fids, geoms in self.geoms.values():
            found.append(fids if core is None else fids[~shapely.contains_properly(core, geoms)])
        return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _shrunk(bounds: np.ndarray, by: float) -> np.ndarray:
    """Boxes shrunk by ``by`` on each side; a box narrower than that collapses onto its middle line."""
    x0, y0, x1, y1 = bounds.T
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    return shapely.box(
        np.minimum(x0 + by, xm), np.minimum(y0 + by, ym), np.maximum(x1 - by, xm), np.maximum(y1 - by, ym)
    )


def copy_table(table: db.Composable, columns: dict[str, np.ndarray]) -> None:
    """Create the UNLOGGED integer table ``table`` holding ``columns``."""
    definitions = db.join(db.compose("{column} integer", column=c) for c in columns)
    with connection.cursor() as cur:
        db.execute(cur, db.compose("CREATE UNLOGGED TABLE {table} ({columns})", table=table, columns=definitions))
        if len(next(iter(columns.values()))):
            copy.copy_table(cur, table, pa.table(columns))
        db.execute(cur, db.compose("ANALYZE {table}", table=table))

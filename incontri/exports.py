"""GeoPackage of a project's ranked opportunity areas, with the score and its breakdown as columns."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pyogrio.raw
import shapely

from mappature.opportunities import OPPORTUNITY_BY_CODE

from . import db


def matches_gpkg(project, matches: list[dict]) -> bytes:
    geoms = []
    for m in matches:
        a = m["area"]
        q = db.compose("SELECT ST_AsBinary(geom) AS g FROM {rel} WHERE id = %s",
                       rel=OPPORTUNITY_BY_CODE[a["kind"]].relation)
        geoms.append(shapely.from_wkb(bytes(db.fetch(q, [a["id"]])[0]["g"])))
    criteria_codes = [p["criterion"] for p in matches[0]["breakdown"]] if matches else []
    cols = {
        "rank": np.arange(1, len(matches) + 1, dtype=np.int32),
        "project": np.array([project.title] * len(matches), dtype=object),
        "kind": np.array([m["area"]["kind"] for m in matches], dtype=object),
        "area_id": np.array([m["area"]["id"] for m in matches], dtype=np.int64),
        "name": np.array([m["area"]["name"] for m in matches], dtype=object),
        "istat_code": np.array([m["area"]["istat_code"] for m in matches], dtype=object),
        "score": np.array([m["score"] for m in matches], dtype=np.float64),
    }
    for code in criteria_codes:
        cols[f"pt_{code}"] = np.array([next(p["points"] for p in m["breakdown"] if p["criterion"] == code)
                                       for m in matches], dtype=np.float64)
        cols[f"why_{code}"] = np.array([next(p["why"] for p in m["breakdown"] if p["criterion"] == code)
                                        for m in matches], dtype=object)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "incontri.gpkg"
        wkb = np.array(shapely.to_wkb(geoms), dtype=object) if geoms else np.array([], dtype=object)
        pyogrio.raw.write(str(path), wkb,
                          list(cols.values()), list(cols.keys()), layer="incontri", driver="GPKG",
                          geometry_type="MultiPolygon", crs="EPSG:32632", promote_to_multi=True)
        return path.read_bytes()

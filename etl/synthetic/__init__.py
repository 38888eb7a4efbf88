"""Deterministic synthetic datasets, labelled synthetic wherever shown, for what is not reachable offline.

Every generator is seeded, writes its file under ``REMIX["SYNTHETIC_DIR"]`` named by seed, scale
and generator version, and returns the cached file when it already exists: a second
``make run`` reads the same bytes, so the ETL sees an unchanged source and does nothing.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import shapely

from remix import db

from .. import conf
from ..errors import EtlError

LABEL = "sintetico / synthetic"


class MissingReference(EtlError, LookupError):
    """A generator needs reference data (comuni, stations) that is not loaded yet."""


def comuni() -> list[tuple[str, str, shapely.Geometry]]:
    """(istat_code, name, geometry in EPSG:32632) of every loaded comune, by ISTAT code."""
    rows = db.fetch_all("SELECT istat_code, name, ST_AsBinary(geom) FROM mappature_comune ORDER BY istat_code")
    if not rows:
        raise MissingReference("Caricare prima i comuni (etl run comuni).")
    return [(code, name, shapely.from_wkb(bytes(wkb))) for code, name, wkb in rows]


def reference_digest(rows) -> str:
    """A short digest of the reference geometries: new boundaries mean a new synthetic file."""
    digest = hashlib.sha256()
    for code, _name, geom in rows:
        digest.update(code.encode())
        digest.update(shapely.to_wkb(shapely.set_precision(geom, 1.0)))
    return digest.hexdigest()[:10]


def cached_path(kind: str, seed: int, scale: int, version: int, ref: str, suffix: str = ".gpkg") -> Path:
    folder = Path(conf.SYNTHETIC_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{kind}_s{seed}_n{scale}_g{version}_{ref}{suffix}"


def publish(tmp: Path, final: Path) -> Path:
    """Move a fully written file into place: a killed generator never leaves half a file."""
    os.replace(tmp, final)
    return final

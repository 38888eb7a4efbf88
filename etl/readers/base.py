"""What every reader shares: the FeatureTable it returns, paths, checksums and CRS detection."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from pyproj import CRS
from pyproj.exceptions import CRSError

from ..sources import Source


@dataclass
class FeatureTable:
    """What a reader returns: attribute columns, WKB geometries (or None) and their EPSG code."""

    columns: dict[str, list]
    geometries: list[bytes | None] | None
    srid: int | None
    count: int
    encoding: str | None = None


class Reader(Protocol):
    """The contract every reader fulfils."""

    source: Source

    def fingerprint(self) -> str:
        """A checksum of the source content: equal checksums mean an unchanged source."""

    def read(self) -> FeatureTable:
        """Read the whole source."""

    def archive_path(self) -> Path | None:
        """The local file a version can be restored from (after fingerprint/read), if any."""


def resolve_path(location: str) -> Path:
    path = Path(location)
    if not path.is_absolute():
        path = Path(settings.REMIX["DATA_DIR"]) / path
    return path


def epsg_of(crs_text: str | None) -> int | None:
    """EPSG code of a CRS given as 'EPSG:n', WKT or PROJ text; None when there is none."""
    if not crs_text:
        return None
    try:
        crs = CRS.from_user_input(crs_text)
    except CRSError:
        return None
    return crs.to_epsg(min_confidence=70)


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def concat(tables: list[FeatureTable]) -> FeatureTable:
    """One table out of several (layers of one file, pages of a service): union of the columns."""
    names: list[str] = []
    for t in tables:
        names += [n for n in t.columns if n not in names]
    columns = {n: [v for t in tables for v in t.columns.get(n, [None] * t.count)] for n in names}
    with_geom = [t for t in tables if t.geometries is not None]
    geometries = [g for t in tables for g in (t.geometries or [None] * t.count)] if with_geom else None
    srids = {t.srid for t in with_geom}
    if len(srids) > 1:
        from ..errors import SourceUnreadable

        raise SourceUnreadable(f"strati con sistemi di riferimento diversi: {sorted(map(str, srids))}")
    return FeatureTable(
        columns, geometries, srids.pop() if srids else None, sum(t.count for t in tables),
        tables[0].encoding if tables else None,
    )

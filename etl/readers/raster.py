"""GeoTIFF rasters (rasterio): checked for a CRS, reprojected to the storage CRS when needed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import rasterio
from rasterio.errors import RasterioIOError

from ..errors import MESSAGES, MissingCrs, SourceNotFound, SourceUnreadable
from ..sources import Source
from .base import epsg_of, file_checksum, resolve_path


@dataclass
class RasterInfo:
    path: Path
    srid: int
    width: int
    height: int
    bands: int
    count: int = 1  # one raster: what the pipeline's counts see


class RasterReader:
    def __init__(self, source: Source, location: str | None = None):
        self.source = source
        self.path = resolve_path(location or source.location)

    def fingerprint(self) -> str:
        if not self.path.is_file():
            raise SourceNotFound(MESSAGES["not_found"] % {"location": self.path.name})
        return file_checksum(self.path)

    def archive_path(self) -> Path:
        return self.path

    def read(self) -> RasterInfo:
        if not self.path.is_file():
            raise SourceNotFound(MESSAGES["not_found"] % {"location": self.path.name})
        try:
            with rasterio.open(self.path) as src:
                srid = epsg_of(self.source.crs) or (src.crs.to_epsg() if src.crs else None)
                if srid is None:
                    raise MissingCrs(MESSAGES["no_crs"] % {"location": self.path.name})
                return RasterInfo(self.path, srid, src.width, src.height, src.count)
        except RasterioIOError as err:
            raise SourceUnreadable(MESSAGES["unreadable"] % {"location": self.path.name, "detail": err}) from err

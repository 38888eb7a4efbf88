"""GeoTIFF rasters (rasterio): checked for a CRS, reprojected to the storage CRS when needed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rasterio.errors import RasterioIOError

from layers.rasters import header

from ..errors import MESSAGES, MissingCrs, SourceUnreadable
from .base import LocalFileReader, epsg_of, register


@dataclass
class RasterInfo:
    path: Path
    srid: int
    width: int
    height: int
    bands: int
    count: int = 1  # one raster: what the pipeline's counts see


@register("raster")
class RasterReader(LocalFileReader):
    def read(self) -> RasterInfo:
        self.require_file()
        try:
            head = header(self.path)
        except RasterioIOError as err:
            raise SourceUnreadable(MESSAGES["unreadable"] % {"location": self.path.name, "detail": err}) from err
        srid = epsg_of(self.source.crs) or head.srid
        if srid is None:
            raise MissingCrs(MESSAGES["no_crs"] % {"location": self.path.name})
        return RasterInfo(self.path, srid, head.width, head.height, head.bands)

"""The one place that reads rasters (GeoTIFF, rasterio) and finds a published raster's file.

Everything that looks into a raster — the registry (extent), MapServer's resolution (DATA, extent),
the map's identify (pixel under a point), the zonal statistics (whole band), the ETL (header, warp)
— opens it here. Published rasters live in the ``rasters`` storage (:mod:`remix.storage`): with
``make run`` the folder ``REMIX["RASTER_DIR"]`` read in place, in production an object store; then
each machine reads a local copy kept per raster name and layer data version
(``REMIX["RASTER_CACHE_DIR"]``), fetched once after each load (see docker/README.md).

A raster layer's ``source`` names its file:
- ``<name>.tif`` or ``var/rasters/<name>.tif`` (the form of the declarations): ``<name>.tif`` in the
  ``rasters`` storage, where the ETL publishes it;
- an absolute path: that file on this machine (a file placed by hand, or a test's);
- another relative path: ``<name>`` in the storage, else that file under the project folder (shipped).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np
import rasterio
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from rasterio.warp import transform, transform_bounds

from remix import storage

from . import conf

STORAGE = storage.RASTERS
PUBLISHED_PREFIX = "var/rasters/"  # the declarations' form of a name in the storage (the default folder)


@dataclass(frozen=True)
class Header:
    """What a raster's header says: enough to describe it without reading its pixels."""

    path: Path
    crs: object  # rasterio.crs.CRS, or None when the file has none
    srid: int | None
    width: int
    height: int
    bands: int
    bounds: tuple[float, float, float, float]  # left, bottom, right, top in the raster's CRS
    resolution: tuple[float, float]
    dtype: str
    nodata: float | None
    tags: dict

    @property
    def pixel_area(self) -> float:
        return abs(self.resolution[0] * self.resolution[1])


# ---- where a raster is -------------------------------------------------------------------------------


def stored_name(layer) -> str | None:
    """The name of a raster layer's file in the ``rasters`` storage; None for an absolute path."""
    source = str(layer.source or "").strip()
    if not source or Path(source).is_absolute():
        return None
    if source.startswith(PUBLISHED_PREFIX):
        return source[len(PUBLISHED_PREFIX) :]
    return str(PurePosixPath(source))


def local_path(layer) -> Path:
    """The file of a raster layer on this machine (fetched from the storage if needed). The path
    does not exist when the raster is not published (yet): callers test ``.exists()``."""
    name = stored_name(layer)
    if name is None:
        return Path(layer.source)
    shipped = Path(settings.BASE_DIR) / layer.source
    try:
        path = published_file(name, f"layer-{layer.slug}", str(layer.data_version))
    except SuspiciousFileOperation:  # not a name in the storage (e.g. "../x.tif"): a file of the project
        return shipped
    if path.exists() or str(layer.source).startswith(PUBLISHED_PREFIX):
        return path
    return shipped if shipped.exists() else path


def published_file(name: str, owner: str, version: str) -> Path:
    """A local file with the content of the published raster ``name`` at ``owner``'s ``version`` (a
    number that changes with each load: a layer's data version, an ETL source's dataset version)."""
    return storage.cached(STORAGE, name, owner, version, Path(conf.RASTER_CACHE_DIR))


def publish(local: Path, name: str) -> None:
    """Store the raster file ``local`` as ``name`` in the ``rasters`` storage, replacing the old one
    (every reader sees either the old file or the new one); this machine's copies are dropped."""
    storage.replace(STORAGE, name, local)
    storage.forget(name, Path(conf.RASTER_CACHE_DIR))


def stored_matches(name: str, checksum: str, digest) -> bool:
    """True when the raster stored as ``name`` has this checksum (``digest``: a hashlib constructor)."""
    store = storage.get(STORAGE)
    if not store.exists(name):
        return False
    hasher = digest()
    with store.open(name, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            hasher.update(chunk)
    return hasher.hexdigest() == checksum


# ---- what a raster holds -----------------------------------------------------------------------------


@contextmanager
def open_raster(path: Path | str) -> Iterator[rasterio.DatasetReader]:
    """The rasterio dataset of ``path`` (``rasterio.errors.RasterioIOError`` when it is unreadable)."""
    with rasterio.open(path) as dataset:
        yield dataset


def header_of(dataset) -> Header:
    crs = dataset.crs
    return Header(
        path=Path(dataset.name),
        crs=crs,
        srid=crs.to_epsg() if crs else None,
        width=dataset.width,
        height=dataset.height,
        bands=dataset.count,
        bounds=tuple(float(v) for v in dataset.bounds),
        resolution=tuple(float(v) for v in dataset.res),
        dtype=dataset.dtypes[0],
        nodata=dataset.nodata,
        tags=dataset.tags(),
    )


def header(path: Path | str) -> Header:
    """The raster's header (size, bands, CRS, bounds, resolution, nodata, tags), no pixel read."""
    with open_raster(path) as dataset:
        return header_of(dataset)


def extent(path: Path | str) -> tuple[float, float, float, float]:
    """The raster's bounds (left, bottom, right, top) in its own CRS."""
    return header(path).bounds


def extent_4326(path: Path | str) -> dict:
    """The raster's bounding box in EPSG:4326 as the registry keeps it (west, south, east, north)."""
    head = header(path)
    west, south, east, north = (round(float(v), 6) for v in transform_bounds(head.crs, "EPSG:4326", *head.bounds))
    return {"west": west, "south": south, "east": east, "north": north}


def sample(path: Path | str, lon: float, lat: float, band: int = 1) -> float | None:
    """The value of the pixel under lon/lat (EPSG:4326); None off the raster, on nodata or NaN."""
    with open_raster(path) as src:
        xs, ys = transform("EPSG:4326", src.crs, [lon], [lat])
        b = src.bounds
        if not (b.left <= xs[0] < b.right and b.bottom < ys[0] <= b.top):
            return None
        pixel = next(src.sample([(xs[0], ys[0])], indexes=band, masked=True))
    if np.ma.getmaskarray(pixel).any():
        return None
    value = float(pixel[0])
    return None if math.isnan(value) else value


def read_band(path: Path | str, band: int = 1) -> tuple[np.ndarray, Header]:
    """One band as float64 with NaN where there is no data (nodata, mask, ±inf), and the header."""
    with open_raster(path) as src:
        data = src.read(band, masked=True).astype("float64").filled(np.nan)
        head = header_of(src)
    data[~np.isfinite(data)] = np.nan
    return data, head

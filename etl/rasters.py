"""Publish a raster source: reproject to the storage CRS if needed and store it in the ``rasters``
storage (remix.storage) in one swap; every raster is read through :mod:`layers.rasters`."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

import rasterio
from rasterio.warp import Resampling, calculate_default_transform, reproject

from layers import rasters as raster_files
from layers import registry
from remix import conf as remix_conf

from .declarations import Source
from .models import DatasetVersion
from .readers.base import file_checksum
from .readers.raster import RasterInfo
from .runs import RunResult, next_version


def output_name(source: Source) -> str:
    """The raster's name in the ``rasters`` storage (the declaration's ``output``, else ``<id>.tif``)."""
    return source.options.get("output", f"{source.id}.tif")


def output_path(source: Source) -> Path:
    """The published raster of ``source`` on this machine (the latest loaded version; fetched from an
    object store into the local cache when needed). The path does not exist before the first load."""
    latest = (
        DatasetVersion.objects.filter(source_id=source.id, version__isnull=False)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    return raster_files.published_file(output_name(source), f"etl-{source.id}", str(latest or 0))


def load(source: Source, info: RasterInfo, record: DatasetVersion, status: str) -> RunResult:
    """Store the raster where MapServer reads it; the old file is served until the new one is complete."""
    name = output_name(source)
    work = Path(remix_conf.WORK_DIR)
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="raster-", dir=work) as scratch:
        tmp = Path(scratch) / Path(name).name
        storage_srid = remix_conf.STORAGE_SRID
        if info.srid == storage_srid:
            shutil.copyfile(info.path, tmp)
        else:
            _warp(info, tmp, storage_srid)
        same = raster_files.stored_matches(name, file_checksum(tmp), hashlib.sha256)
        if not same:
            raster_files.publish(tmp, name)
    record.version = next_version(source.id)
    record.status = status
    record.rows_read, record.rows_loaded, record.rows_unchanged = 1, 0 if same else 1, 1 if same else 0
    record.save()
    registry.dataset_loaded(source.id, record.version, {**record.lineage_facts(), "raster": name})
    return RunResult(source.id, status, record.version, 1, record.rows_loaded, record.rows_unchanged)


def _warp(info: RasterInfo, out: Path, storage_srid: int) -> None:
    with raster_files.open_raster(info.path) as src:
        dst_crs = f"EPSG:{storage_srid}"
        transform, width, height = calculate_default_transform(
            f"EPSG:{info.srid}", dst_crs, src.width, src.height, *src.bounds
        )
        profile = src.profile | {
            "crs": dst_crs,
            "transform": transform,
            "width": width,
            "height": height,
            "driver": "GTiff",
            "tiled": True,
            "compress": "deflate",
        }
        with rasterio.open(out, "w", **profile) as dst:
            for band in range(1, src.count + 1):
                reproject(
                    rasterio.band(src, band),
                    rasterio.band(dst, band),
                    src_crs=f"EPSG:{info.srid}",
                    dst_crs=dst_crs,
                    resampling=Resampling.bilinear,
                )
            dst.update_tags(**src.tags())

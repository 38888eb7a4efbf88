"""Publish a raster source: reproject to the storage CRS if needed and swap the file in atomically."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import rasterio
from rasterio.warp import Resampling, calculate_default_transform, reproject

from layers import registry
from remix import conf as remix_conf

from . import conf
from .models import DatasetVersion
from .readers.base import file_checksum
from .readers.raster import RasterInfo
from .sources import Source


def output_path(source: Source) -> Path:
    return Path(conf.RASTER_DIR) / source.options.get("output", f"{source.id}.tif")


def load(source: Source, info: RasterInfo, record: DatasetVersion, status: str):
    """Write the raster where MapServer reads it; the old file stays until the new one is complete."""
    from .pipeline import RunResult, _next_version

    final = output_path(source)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(f".{final.stem}.{os.getpid()}.tmp.tif")
    storage = remix_conf.STORAGE_SRID
    if info.srid == storage:
        shutil.copyfile(info.path, tmp)
    else:
        _warp(info, tmp, storage)
    same = final.exists() and file_checksum(final) == file_checksum(tmp)
    os.replace(tmp, final)
    record.version = _next_version(source.id)
    record.status = status
    record.rows_read, record.rows_loaded, record.rows_unchanged = 1, 0 if same else 1, 1 if same else 0
    record.save()
    registry.dataset_loaded(source.id, record.version, {**record.lineage_facts(), "raster": str(final)})
    return RunResult(source.id, status, record.version, 1, record.rows_loaded, record.rows_unchanged)


def _warp(info: RasterInfo, out: Path, storage: int) -> None:
    with rasterio.open(info.path) as src:
        dst_crs = f"EPSG:{storage}"
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

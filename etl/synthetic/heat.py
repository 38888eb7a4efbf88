"""Synthetic night-time heat anomaly (°C above a rural reference) over CMM, as a GeoTIFF.

Shaped like the real STTM 1 maps: warmest over Milano, warm over the dense comuni around it and
along built-up cores, cool in the open south; 100 m pixels in EPSG:32632, nodata outside CMM.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import rasterio
import shapely
from rasterio.features import geometry_mask
from rasterio.transform import from_origin

from . import LABEL, cached_path, comuni, publish, reference_digest

GENERATOR_VERSION = 2
DEFAULT_SEED = 2026
PIXEL_M = 100
NODATA = -9999.0


def generate(source=None, *, seed: int | None = None, **_) -> Path:
    opts = source.options if source is not None else {}
    seed = int(seed or opts.get("seed", DEFAULT_SEED))
    rows = comuni()
    path = cached_path("sttm1_anomalia_termica", seed, PIXEL_M, GENERATOR_VERSION, reference_digest(rows), ".tif")
    if path.exists():
        return path
    tmp = path.with_name(path.stem + ".tmp.tif")
    data, transform = anomaly(rows, np.random.default_rng(seed))
    profile = {
        "driver": "GTiff",
        "dtype": "float32",
        "count": 1,
        "width": data.shape[1],
        "height": data.shape[0],
        "crs": "EPSG:32632",
        "transform": transform,
        "nodata": NODATA,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(tmp, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(TITLE="Anomalia termica notturna (°C)", SYNTHETIC=LABEL, GENERATOR="etl/synthetic/heat.py")
        dst.set_band_description(1, "anomalia termica notturna °C – sintetico / synthetic")
    return publish(tmp, path)


def anomaly(rows, rng) -> tuple[np.ndarray, object]:
    cmm = shapely.union_all([g for _, _, g in rows])
    minx, miny, maxx, maxy = (round(v / PIXEL_M) * PIXEL_M for v in cmm.bounds)
    width, height = int((maxx - minx) / PIXEL_M) + 1, int((maxy - miny) / PIXEL_M) + 1
    transform = from_origin(minx, maxy, PIXEL_M, PIXEL_M)
    xs = minx + (np.arange(width) + 0.5) * PIXEL_M
    ys = maxy - (np.arange(height) + 0.5) * PIXEL_M
    gx, gy = np.meshgrid(xs, ys)
    heat = np.zeros(gx.shape, dtype=np.float64)
    for code, _name, geom in rows:
        core = shapely.point_on_surface(geom)
        # Bigger comuni have bigger, warmer cores; Milano dominates the metropolitan island.
        if code == "015146":
            strength, reach = 6.0, 7000.0
        else:
            strength, reach = 1.5 + rng.uniform(0, 1.5), 1200 + np.sqrt(geom.area) / 4
        # Islands do not add up: a place is as warm as the warmest core it belongs to.
        np.maximum(heat, strength * np.exp(-((gx - core.x) ** 2 + (gy - core.y) ** 2) / (2 * reach**2)), out=heat)
    noise = rng.normal(0, 0.25, (height // 10 + 2, width // 10 + 2))
    heat += np.kron(noise, np.ones((10, 10)))[:height, :width]
    outside = geometry_mask([cmm.__geo_interface__], out_shape=heat.shape, transform=transform)
    data = np.round(heat, 2).astype("float32")
    data[outside] = NODATA
    return data, transform

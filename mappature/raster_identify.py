"""The value of a raster layer (e.g. the heat anomaly) under a clicked point, for the map's identify popup."""

from __future__ import annotations

from rasterio.errors import RasterioError

from layers import rasters
from layers.models import Layer


def identify(layer: Layer, lon: float, lat: float, lang: str = "it") -> dict | None:
    """The pixel value at lon/lat as an identify result (same shape as the vector layers'), None off the data."""
    value = _sample(layer, lon, lat)
    if value is None:
        return None
    declared = next((a for a in layer.attributes or [] if a.get("name") == "value"), {})
    label = declared.get(f"label_{lang}") or declared.get("label_it") or "value"
    title = layer.title(lang)
    return {
        "layer": layer.slug,
        "title": title,
        "synthetic": layer.synthetic,
        "labels": {"value": label},
        "features": [{"id": None, "properties": {"value": round(value, 2)}}],
        "nearby": None,
    }


def _sample(layer: Layer, lon: float, lat: float) -> float | None:
    path = rasters.local_path(layer)
    if not path.exists():
        return None  # not loaded yet: nothing to say about this point
    try:
        return rasters.sample(path, lon, lat)
    except RasterioError:
        return None  # an unreadable file is the ETL's to report; the popup still shows the vector layers

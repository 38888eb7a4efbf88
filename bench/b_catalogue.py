"""catalogue: the catalogue's preview API and comune search vs the same SQL run bare, same run.

Read-only on the app's data (works after `make run`): it picks the published public vector layer
with the most features, times the preview endpoint (routing, visibility check, SQL, response) with
Django's in-process client against psycopg running the identical GeoJSON query, then the
catalogue page filtered by a comune against the bare intersection query.
"""

from __future__ import annotations

import statistics
import time

from . import Context, Result

TARGET_PREVIEW = 0.67  # the endpoint within 1.5× of the bare SQL
TARGET_SEARCH = 0.5


def _paired_median_ms(project, anchor, repeat: int) -> tuple[float, float]:
    """Median ms of each, run alternately so that load from other users hits both alike."""
    project(), anchor()  # warm caches and connections
    times = ([], [])
    for _ in range(repeat):
        for fn, out in ((project, times[0]), (anchor, times[1])):
            started = time.perf_counter()
            fn()
            out.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def run(ctx: Context) -> list[Result]:
    from django.test import Client

    from layers import conf, source_data
    from layers.models import Layer
    from remix.places import comuni

    layers = [
        layer
        for layer in Layer.objects.visible_to(None).filter(kind="vector")
        if (layer.metadata or {}).get("features")
    ]
    if not layers:
        print("[bench] catalogue: no published layer with data — run `make run` first")
        return []
    layer = max(layers, key=lambda item: item.metadata["features"])
    limit = conf.PREVIEW_MAX_FEATURES
    repeat = 10 if ctx.quick else 40
    client = Client(HTTP_HOST="127.0.0.1")
    url = f"/api/catalogo/{layer.slug}/anteprima.geojson"

    def bare_preview():
        return source_data.preview_geojson(layer, limit)

    def http_preview():
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response.content

    milano = next(code for code, name in comuni.choices() if name == "Milano")
    geom = comuni.geometry(milano)
    box = geom.transform(4326, clone=True).extent
    bbox = {"west": box[0], "south": box[1], "east": box[2], "north": box[3]}

    def bare_search():
        return source_data.intersecting(layers, bytes(geom.ewkb), bbox)

    def page_search():
        response = client.get("/catalogo/", {"comune": milano})
        assert response.status_code == 200, response.status_code

    preview = _paired_median_ms(http_preview, bare_preview, repeat)
    search = _paired_median_ms(page_search, bare_search, repeat)
    scale = f"{layer.slug}: {layer.metadata['features']} features, preview of {limit}"
    return [
        Result(
            "catalogue_preview",
            preview[0],
            preview[1],
            "ms (median)",
            TARGET_PREVIEW,
            scale,
            higher_is_better=False,
            notes="HTTP endpoint (in-process) vs the same SQL via psycopg",
        ),
        Result(
            "catalogue_comune_search",
            search[0],
            search[1],
            "ms (median)",
            TARGET_SEARCH,
            f"{len(layers)} layers with data, comune di Milano",
            higher_is_better=False,
            notes="catalogue page filtered by comune vs the bare intersection query",
        ),
    ]

"""The places the layer catalogue filters by (the comuni of mappature), handed to layers by settings.

layers may not import mappature; this wiring module may, and is named in REMIX["CATALOGUE_PLACES"].
Names and boundaries are kept for ``TTL_S`` seconds per process: they change with a yearly ISTAT
reload, and reading them on every catalogue page was a third of its database time.
"""

import time

from django.contrib.gis.geos import GEOSGeometry

from mappature.models import Comune

TTL_S = 300


class ComuniPlaces:
    def __init__(self):
        self._cache: dict[str, tuple[float, object]] = {}

    def _kept(self, key: str, load):
        hit = self._cache.get(key)
        if hit is None or time.monotonic() - hit[0] > TTL_S:
            if len(self._cache) > 300:
                self._cache.clear()
            hit = (time.monotonic(), load())
            if not hit[1]:  # nothing loaded yet: ask again next time
                return hit[1]
            self._cache[key] = hit
        return hit[1]

    def choices(self) -> list[tuple[str, str]]:
        return self._kept("", lambda: list(Comune.objects.order_by("name").values_list("istat_code", "name")))

    def geometry(self, code: str) -> GEOSGeometry | None:
        geom = self._kept(code, lambda: Comune.objects.filter(istat_code=code).values_list("geom", flat=True).first())
        return geom.clone() if geom is not None else None


comuni = ComuniPlaces()

"""The places the layer catalogue filters by (the comuni of mappature), handed to layers by settings.

layers may not import mappature; this wiring module may, and is named in REMIX["CATALOGUE_PLACES"].
"""

from django.contrib.gis.geos import GEOSGeometry

from mappature.models import Comune


class ComuniPlaces:
    def choices(self) -> list[tuple[str, str]]:
        return list(Comune.objects.order_by("name").values_list("istat_code", "name"))

    def geometry(self, code: str) -> GEOSGeometry | None:
        return Comune.objects.filter(istat_code=code).values_list("geom", flat=True).first()


comuni = ComuniPlaces()

"""Mutations of the domain with rules attached: one function each, called by the admin, the API, the CLI."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry, MultiPoint
from django.db import transaction
from django.utils import timezone

from .models import Realizzazione
from .models.territorio import STORAGE_SRID


@transaction.atomic
def refine_location(realizzazione: Realizzazione, geom: GEOSGeometry, user) -> Realizzazione:
    """Place an intervention at its site: precision becomes ``site``, with who and when recorded.

    ``geom`` is a point or multipoint in any SRID; it is stored in EPSG:32632.
    """
    geom = geom.transform(STORAGE_SRID, clone=True) if geom.srid and geom.srid != STORAGE_SRID else geom
    if geom.geom_type == "Point":
        geom = MultiPoint(geom, srid=STORAGE_SRID)
    realizzazione.geom = geom
    realizzazione.location_precision = Realizzazione.Precision.SITE
    realizzazione.location_refined_by = user
    realizzazione.location_refined_at = timezone.now()
    realizzazione.save(update_fields=["geom", "location_precision", "location_refined_by", "location_refined_at"])
    return realizzazione

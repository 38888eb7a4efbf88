"""Mutations of the domain with rules attached: one function each, called by the admin, the API, the CLI."""

from __future__ import annotations

from django.contrib.gis.geos import GEOSGeometry, MultiPoint
from django.db import transaction
from django.utils import timezone

from .models import Realizzazione
from .models.territorio import STORAGE_SRID


@transaction.atomic
def refine_location(
    realizzazione: Realizzazione, geom: GEOSGeometry, user, precision: str = Realizzazione.Precision.SITE, via: str = ""
) -> Realizzazione:
    """Place an intervention at its site or address: the precision is recorded, with who and when.

    ``geom`` is a point or multipoint in any SRID; it is stored in EPSG:32632. ``via`` (e.g. "mappa")
    also writes an entry in the admin's history of the object (the audit trail staff already read).
    """
    if precision not in (Realizzazione.Precision.SITE, Realizzazione.Precision.ADDRESS):
        raise ValueError(precision)
    geom = geom.transform(STORAGE_SRID, clone=True) if geom.srid and geom.srid != STORAGE_SRID else geom
    if geom.geom_type == "Point":
        geom = MultiPoint(geom, srid=STORAGE_SRID)
    realizzazione.geom = geom
    realizzazione.location_precision = precision
    realizzazione.location_refined_by = user
    realizzazione.location_refined_at = timezone.now()
    realizzazione.save(update_fields=["geom", "location_precision", "location_refined_by", "location_refined_at"])
    if via:
        from django.contrib.admin.models import CHANGE, LogEntry
        from django.contrib.contenttypes.models import ContentType

        point = geom.transform(4326, clone=True)[0]
        LogEntry.objects.log_action(
            user_id=user.pk,
            content_type_id=ContentType.objects.get_for_model(Realizzazione).pk,
            object_id=str(realizzazione.pk),
            object_repr=str(realizzazione)[:200],
            action_flag=CHANGE,
            change_message=f"Localizzazione spostata da {via}: precisione {precision}, "
            f"lon {point.x:.6f} lat {point.y:.6f}",
        )
    return realizzazione

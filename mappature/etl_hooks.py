"""Hooks the ETL calls after loading domain data, to keep derived data in step."""

from django.db import connection

from remix import db

from .models import Comune, ZonaOmogenea


def refresh_zone_omogenee(**_):
    """Recompute each zona omogenea's geometry as the union of its comuni; drop empty zones."""
    tables = {"zona": ZonaOmogenea._meta.db_table, "comune": Comune._meta.db_table}
    with connection.cursor() as cur:
        db.execute(
            cur,
            db.compose(
                "UPDATE {zona} z SET geom = u.geom FROM ("
                "  SELECT zona_id, ST_Multi(ST_Union(geom)) AS geom FROM {comune} GROUP BY zona_id"
                ") u WHERE u.zona_id = z.id",
                **tables,
            ),
        )
        db.execute(
            cur,
            db.compose(
                "DELETE FROM {zona} z WHERE NOT EXISTS (SELECT 1 FROM {comune} c WHERE c.zona_id = z.id)", **tables
            ),
        )

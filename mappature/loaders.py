"""Hooks the ETL calls after loading domain data, to keep derived data in step."""

from django.db import connection

from .models import Comune, ZonaOmogenea


def refresh_zone_omogenee(**_):
    """Recompute each zona omogenea's geometry as the union of its comuni; drop empty zones."""
    zona, comune = ZonaOmogenea._meta.db_table, Comune._meta.db_table
    with connection.cursor() as cur:
        cur.execute(
            f"UPDATE {zona} z SET geom = u.geom FROM ("  # noqa: S608 - model table names
            f"  SELECT zona_id, ST_Multi(ST_Union(geom)) AS geom FROM {comune} GROUP BY zona_id"
            f") u WHERE u.zona_id = z.id"
        )
        cur.execute(
            f"DELETE FROM {zona} z WHERE NOT EXISTS (SELECT 1 FROM {comune} c WHERE c.zona_id = z.id)"  # noqa: S608
        )

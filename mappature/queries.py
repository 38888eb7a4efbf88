"""Read-side queries of the territory, run in PostGIS and returned as plain Python objects."""

import json

from django.db.models import Count, Sum

from remix import db

from .areas import ellipsoidal_area_sql
from .models import Comune, ZonaOmogenea

# Areas shown and densities use the official surface (``Comune.official_area_km2``, ISTAT via ISPRA):
# the boundaries are generalised. Area on the ellipsoid, in km², from the EPSG:32632 geometry (as the
# summaries and the proximity queries compute it): within 0.0002 km² of ST_Area(geography) for each of
# the 133 comuni, same figures to 0.01 km².
_AREA_KM2 = db.compose("{area} / 1e6", area=ellipsoidal_area_sql("c.geom"))
# The comuni joined to their zona (aliases c and z), tables named by the models.
_COMUNI_ZONE = db.compose(
    "{comune} c JOIN {zona} z ON z.id = c.zona_id", comune=Comune._meta.db_table, zona=ZonaOmogenea._meta.db_table
)


def comuni_feature_collection(precision: int = 6) -> str:
    """All comuni as a GeoJSON FeatureCollection text in EPSG:4326, built by PostGIS."""
    query = db.compose(
        """
        SELECT json_build_object('type', 'FeatureCollection', 'features', coalesce(json_agg(
            json_build_object(
                'type', 'Feature',
                'id', c.istat_code,
                'geometry', ST_AsGeoJSON(ST_Transform(c.geom, 4326), %s)::json,
                'properties', json_build_object(
                    'istat_code', c.istat_code, 'name', c.name, 'catasto_code', c.catasto_code,
                    'zona', z.name, 'zona_code', z.code, 'zona_confirmed', c.zona_confirmed,
                    'population', c.population, 'population_year', c.population_year,
                    'area_km2', round(coalesce(c.official_area_km2, ({area_km2})::numeric), 2),
                    'area_official', c.official_area_km2 IS NOT NULL,
                    'area_km2_boundaries', round(({area_km2})::numeric, 2),
                    'density', round(c.population / nullif(c.official_area_km2, 0), 1)
                )
            ) ORDER BY c.name), '[]'::json))::text
        FROM {comuni_zone}
    """,
        area_km2=_AREA_KM2,
        comuni_zone=_COMUNI_ZONE,
    )
    return db.fetch_value(query, [precision])


def comune_card(istat_code: str) -> dict | None:
    """The facts shown on a comune's card, or None for an unknown ISTAT code."""
    query = db.compose(
        """
        SELECT c.istat_code, c.name, c.catasto_code, z.name, z.code, c.zona_confirmed, c.zona_source,
               c.population, c.population_year,
               round(coalesce(c.official_area_km2, ({area_km2})::numeric), 2), c.official_area_km2 IS NOT NULL,
               round(({area_km2})::numeric, 2), round(c.population / nullif(c.official_area_km2, 0), 1)
        FROM {comuni_zone}
        WHERE c.istat_code = %s
    """,
        area_km2=_AREA_KM2,
        comuni_zone=_COMUNI_ZONE,
    )
    row = db.fetch_one(query, [istat_code])
    if row is None:
        return None
    keys = (
        "istat_code",
        "name",
        "catasto_code",
        "zona",
        "zona_code",
        "zona_confirmed",
        "zona_source",
        "population",
        "population_year",
        "area_km2",
        "area_official",
        "area_km2_boundaries",
        "density",
    )
    card = dict(zip(keys, row, strict=True))
    for key in ("area_km2", "area_km2_boundaries", "density"):
        card[key] = None if card[key] is None else float(card[key])
    return card


def zone_summary() -> list[dict]:
    """Each zona omogenea with its number of comuni and population, for the legend."""
    return list(
        ZonaOmogenea.objects.order_by("name")
        .values("code", "name")
        .annotate(n_comuni=Count("comuni"), population=Sum("comuni__population"))
    )


def filter_options() -> dict:
    """Distinct values offered by the map's filter lists (programmes, sources, statuses, domains, years)."""
    sql = """
        SELECT (SELECT coalesce(array_agg(DISTINCT programme ORDER BY programme), '{}') FROM mappature_realizzazione),
               (SELECT coalesce(array_agg(DISTINCT s ORDER BY s), '{}')
                FROM mappature_realizzazione, unnest(funding_sources) s),
               (SELECT coalesce(array_agg(DISTINCT status ORDER BY status), '{}')
                FROM mappature_realizzazione WHERE status <> ''),
               (SELECT coalesce(array_agg(DISTINCT d ORDER BY d), '{}')
                FROM mappature_realizzazione, unnest(domains) d),
               (SELECT min(year_start) FROM mappature_realizzazione),
               (SELECT max(coalesce(year_end, year_start)) FROM mappature_realizzazione)
    """
    programmes, sources, statuses, domains, y0, y1 = db.fetch_one(sql)
    years = list(range(y0, y1 + 1)) if y0 and y1 else []
    return {"programme": programmes, "funding_source": sources, "status": statuses, "domain": domains, "year": years}


# The comune containing a WGS84 point (%s, %s: lon, lat) as a JSON object with its zona, or NULL outside CMM: a
# scalar subquery, so that identify can read it in its own statement (queries_features.identify_and_comune).
COMUNE_AT_JSON = db.compose(
    """
    (SELECT json_build_object('istat_code', c.istat_code, 'name', c.name, 'zona_code', z.code, 'zona', z.name)
     FROM {comuni_zone}
     WHERE ST_Intersects(c.geom, ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), 32632)) LIMIT 1)
""",
    comuni_zone=_COMUNI_ZONE,
)


def comune_at(lon: float, lat: float) -> dict | None:
    """The comune containing a WGS84 point, with its zona, or None outside CMM."""
    return json.loads(db.fetch_value(db.compose("SELECT {comune}::text", comune=COMUNE_AT_JSON), [lon, lat]) or "null")


def comuni_index() -> list[dict]:
    """ISTAT code, name and zona of every comune, for the map's selection lists."""
    return list(Comune.objects.order_by("name").values("istat_code", "name", "zona__code"))


def nil_index() -> list[dict]:
    """Milano's NIL (number, name, comune and WGS84 bounding box [west, south, east, north]) for the map's
    place search; empty until the milano_nil dataset is loaded."""
    sql = """SELECT feature_key, name, istat_code, ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b)
               FROM (SELECT feature_key, name, istat_code, Box2D(ST_Transform(geom, 4326)) AS b
                       FROM mappature_thematicfeature WHERE layer = %s AND geom IS NOT NULL) f
              ORDER BY name"""
    return [
        {"id": key, "name": name, "istat_code": code, "bbox": [round(v, 6) for v in box]}
        for key, name, code, *box in db.fetch_all(sql, ["milano_nil"])
    ]

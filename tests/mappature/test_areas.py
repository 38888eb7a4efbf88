"""Hectares shown to users are ellipsoidal areas: the fast UTM correction agrees with PostGIS geography."""

import pytest
from django.db import connection

from mappature.areas import ellipsoidal_area_sql

pytestmark = pytest.mark.django_db


def test_corrected_utm_area_matches_geography_over_all_comuni(comuni):
    sql = (f"SELECT max(abs({ellipsoidal_area_sql('geom')} / ST_Area(ST_Transform(geom, 4326)::geography) - 1)), "
           f"max(abs(ST_Area(geom) / ST_Area(ST_Transform(geom, 4326)::geography) - 1)) FROM mappature_comune")
    with connection.cursor() as cur:
        cur.execute(sql)
        corrected, planar = cur.fetchone()
    assert corrected < 1e-5  # even for Milano (18,000 ha) that is under 0.2 ha; sites are far closer
    assert planar > 1e-4  # … and it matters: the plain UTM area is off by more than that


def test_comune_areas_shown_are_the_geography_figures_to_the_hundredth(comuni):
    """The cards and the comuni GeoJSON show km² from the fast helper: for all 133 comuni they are the
    figures ST_Area(geography) gives, rounded to 0.01 km², and never more than 0.01 km² away."""
    import json

    from mappature.queries import comune_card, comuni_feature_collection

    with connection.cursor() as cur:
        cur.execute("SELECT istat_code, ST_Area(ST_Transform(geom, 4326)::geography) / 1e6,"
                    " round((ST_Area(ST_Transform(geom, 4326)::geography) / 1e6)::numeric, 2) FROM mappature_comune")
        geography = {code: (exact, float(rounded)) for code, exact, rounded in cur.fetchall()}
    assert len(geography) == 133
    shown = {f["id"]: f["properties"]["area_km2"] for f in json.loads(comuni_feature_collection())["features"]}
    assert shown == {code: rounded for code, (_, rounded) in geography.items()}
    for code, (exact, rounded) in list(geography.items())[::13]:
        assert comune_card(code)["area_km2"] == rounded
        assert abs(comune_card(code)["area_km2"] - exact) <= 0.005 + 1e-9

"""Hectares shown to users are ellipsoidal areas: the fast UTM correction agrees with PostGIS geography."""

import pytest
from django.db import connection

from mappature.areas import ellipsoidal_area_sql
from remix import db

pytestmark = pytest.mark.django_db


def test_corrected_utm_area_matches_geography_over_all_comuni(comuni):
    area = db.render(ellipsoidal_area_sql("geom"))
    sql = (
        f"SELECT max(abs({area} / ST_Area(ST_Transform(geom, 4326)::geography) - 1)), "
        f"max(abs(ST_Area(geom) / ST_Area(ST_Transform(geom, 4326)::geography) - 1)) FROM mappature_comune"
    )
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
        cur.execute(
            "SELECT istat_code, ST_Area(ST_Transform(geom, 4326)::geography) / 1e6,"
            " round((ST_Area(ST_Transform(geom, 4326)::geography) / 1e6)::numeric, 2) FROM mappature_comune"
        )
        geography = {code: (exact, float(rounded)) for code, exact, rounded in cur.fetchall()}
    assert len(geography) == 133
    shown = {
        f["id"]: f["properties"]["area_km2_boundaries"] for f in json.loads(comuni_feature_collection())["features"]
    }
    assert shown == {code: rounded for code, (_, rounded) in geography.items()}
    for code, (exact, rounded) in list(geography.items())[::13]:
        assert comune_card(code)["area_km2_boundaries"] == rounded
        assert abs(comune_card(code)["area_km2_boundaries"] - exact) <= 0.005 + 1e-9


def test_cards_show_the_official_surface_and_densities_use_it(comuni):
    """The boundaries are generalised (Melegnano 4.03 km² from them): the card shows the official surface
    shipped in data/comuni_cmm.geojson (ISTAT, via ISPRA's ha/% pairs) and the density uses it."""
    import json

    from django.conf import settings

    from mappature.queries import comune_card, comuni_feature_collection

    with open(settings.REMIX["DATA_DIR"] / "comuni_cmm.geojson", encoding="utf-8") as fh:
        shipped = {f["properties"]["istat_code"]: f["properties"] for f in json.load(fh)["features"]}
    assert all(p.get("official_area_km2") for p in shipped.values())
    melegnano = comune_card("015140")
    assert melegnano["name"] == "Melegnano"
    assert melegnano["area_km2"] == 4.99 and melegnano["area_km2_boundaries"] < 4.1 and melegnano["area_official"]
    features = {f["id"]: f["properties"] for f in json.loads(comuni_feature_collection())["features"]}
    for code, props in shipped.items():
        assert features[code]["area_km2"] == pytest.approx(props["official_area_km2"], abs=0.0051)
        expected = round(props["population"] / props["official_area_km2"], 1)
        assert features[code]["density"] == pytest.approx(expected, abs=0.051)
    total = sum(p["official_area_km2"] for p in shipped.values())
    assert 1570 < total < 1580  # CMM is 1,575 km²

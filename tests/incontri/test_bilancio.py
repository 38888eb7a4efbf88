"""Bilancio delle diffusività: an area on a comune border lists the neighbouring comune."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from consegne.models import Membership
from tests.consegne.conftest import PASSWORD, make_user


def border_square(a: str, b: str, half_m: float = 100) -> dict:
    """A square (GeoJSON, EPSG:4326) centred on a point of the boundary shared by comuni a and b,
    computed here in SQL, independently of the code under test."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT ST_AsGeoJSON(ST_Transform(ST_Expand(ST_PointOnSurface(
                         ST_Intersection(ST_Boundary(x.geom), ST_Boundary(y.geom))), %s), 4326))
                       FROM mappature_comune x, mappature_comune y WHERE x.istat_code = %s AND y.istat_code = %s""",
            [half_m, a, b],
        )
        return json.loads(cur.fetchone()[0])


@pytest.fixture
def neighbours(comuni):
    """Milano and one comune that shares a boundary with it (found in SQL)."""
    with connection.cursor() as cur:
        cur.execute("""SELECT y.istat_code, y.name FROM mappature_comune x JOIN mappature_comune y
                       ON ST_Intersects(x.geom, y.geom) AND x.id <> y.id
                       WHERE x.istat_code = '015146' ORDER BY y.istat_code LIMIT 1""")
        return cur.fetchone()


def test_drawn_area_on_a_border_lists_the_neighbour(neighbours, client):
    code, name = neighbours
    user = make_user("staff.cmm", Membership.Role.STAFF)
    assert client.login(username=user.username, password=PASSWORD)
    geometry = json.dumps(border_square("015146", code))
    form = {"geometry": geometry, "function": "300", "surface_m2": "40000"}
    body = client.post("/api/incontri/bilancio", form).json()
    listed = {c["istat_code"]: c for c in body["comuni"]}
    assert "015146" in listed and code in listed
    assert listed[code]["distance_m"] == 0 and listed[code]["band_m"] == body["bands_m"][0]
    # the square straddles the border: whichever comune hosts it, the other one is to be involved
    involved = {c["istat_code"] for c in body["comuni_to_involve"]}
    assert involved & {"015146", code}
    assert body["likely_supra_municipal"] is True
    assert any(t["code"] == "reach" and t["met"] for t in body["thresholds"])
    page = client.post("/incontri/bilancio/", {"geometry": geometry, "function": "300"}).content.decode()
    assert name in page and "Probabile rilevanza sovracomunale" in page


def test_bad_geometry_is_a_clear_error(comuni, client):
    user = make_user("staff.cmm", Membership.Role.STAFF)
    client.login(username=user.username, password=PASSWORD)
    body = client.post(
        "/api/incontri/bilancio", {"geometry": '{"type": "Point", "coordinates": [9.1, 45.4]}', "function": "300"}
    )
    assert body.status_code == 400 and "poligono" in body.json()["error"]


def test_pgt_feature_report_page_and_pdf(world, client):
    page = client.get(f"/incontri/bilancio/?feature={world['near'].pk}")
    assert page.status_code == 200 and "AT vicino" in page.content.decode()
    pdf = client.get(f"/incontri/bilancio.pdf?feature={world['near'].pk}")
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"


def test_bozza_feature_is_not_public(world, client):
    from mappature.models import PgtAtto, PgtFeature

    bozza = PgtAtto.objects.create(comune=world["comune"], state=PgtAtto.State.BOZZA, spec_version="test")
    f = PgtFeature.objects.create(
        atto=bozza,
        istat_code=world["comune"].istat_code,
        layer="ambiti_trasformazione",
        feature_key="ATB",
        geom=world["near"].geom,
        attrs={"FUN_PREV1": "200"},
    )
    assert client.get(f"/api/incontri/bilancio?feature={f.pk}").status_code == 404
    staff = make_user("staff.cmm", Membership.Role.STAFF)
    client.login(username=staff.username, password=PASSWORD)
    assert client.get(f"/api/incontri/bilancio?feature={f.pk}").status_code == 200
    flags = client.get(f"/incontri/atti/{bozza.pk}/diffusivita/").content.decode()
    assert "ATB" in flags or "Nessuna previsione" in flags


def test_review_flags_ambiti_over_threshold(world, client):
    """The delivery review links to the act's flagged ambiti; the productive AT of 4 ha touches farmland-free
    land but its 5 km reach crosses into neighbouring comuni, so it is flagged with them."""
    from django.db import connection

    staff = make_user("staff.cmm", Membership.Role.STAFF)
    client.login(username=staff.username, password=PASSWORD)
    page = client.get(f"/incontri/atti/{world['atto'].pk}/diffusivita/").content.decode()
    with connection.cursor() as cur:  # the comuni within 5 km of the AT, other than its own (independent SQL)
        cur.execute(
            "SELECT c.name FROM mappature_comune c, mappature_pgtfeature f WHERE f.id = %s"
            " AND ST_DWithin(c.geom, f.geom, 5000) AND c.istat_code <> f.istat_code ORDER BY 1",
            [world["near"].pk],
        )
        names = [r[0] for r in cur.fetchall()]
    assert names and "AT vicino" in page
    assert all(name in page for name in names)


def test_soil_trend_is_read_from_the_declared_relation(world, client):
    """Until the indicators table exists the trend is 'not available'; with it, the proposal's consumed soil is
    set against the comune's latest stock and the PTM threshold."""
    body = client.get(f"/api/incontri/bilancio?feature={world['near'].pk}").json()
    soil = body["soil"]
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('indicatori_suolostock') IS NOT NULL")
        existed = cur.fetchone()[0]
        if not existed:
            assert soil["trend"] is None and soil["share_of_comune"] is None
            cur.execute(
                "CREATE TABLE indicatori_suolostock (id bigserial PRIMARY KEY, istat_code varchar(6),"
                " year smallint, ha double precision, pct double precision)"
            )
        cur.execute("DELETE FROM indicatori_suolostock WHERE istat_code = %s", [world["comune"].istat_code])
        cur.execute(
            "INSERT INTO indicatori_suolostock (istat_code, year, ha) VALUES (%s, 2006, 100), (%s, 2024, 120)",
            [world["comune"].istat_code] * 2,
        )
    soil = client.get(f"/api/incontri/bilancio?feature={world['near'].pk}").json()["soil"]
    # the AT (200 m × 200 m) lies outside any TUC here: all of it is consumed soil
    assert soil["consumed_ha"] == pytest.approx(4.0, rel=1e-3)
    assert [y["ha"] for y in soil["trend"]] == [100, 120]
    assert soil["share_of_comune"] == pytest.approx(4.0 / 120, rel=1e-3)
    body = client.get(f"/api/incontri/bilancio?feature={world['near'].pk}").json()
    soil_threshold = next(t for t in body["thresholds"] if t["code"] == "soil_share")
    assert soil_threshold["met"] is True  # 3.3 % > 2 %


def test_delivery_review_flags_the_drafts_ambiti_inline_with_the_comuni_to_involve(world, client):
    """The review page itself lists the draft's ambiti over a threshold and the comuni to involve."""
    from django.urls import reverse

    from consegne.models import Consegna
    from mappature.models import PgtAtto, PgtFeature

    staff = make_user("staff.cmm", Membership.Role.STAFF)
    bozza = PgtAtto.objects.create(comune=world["comune"], state=PgtAtto.State.BOZZA, spec_version="test")
    at = PgtFeature.objects.create(
        atto=bozza,
        istat_code=world["comune"].istat_code,
        layer="ambiti_trasformazione",
        feature_key="ATB",
        geom=world["near"].geom,
        attrs={"NOME_AMB": "AT in bozza", "FUN_PREV1": "200"},
    )
    consegna = Consegna.objects.create(
        comune=world["comune"],
        uploaded_by=staff,
        kind=PgtAtto.Kind.choices[0][0],
        deliberation="1",
        original_name="pgt.gpkg",
        stored_path="",
        spec_version="test",
        state=Consegna.State.IN_REVISIONE,
        atto=bozza,
    )
    assert client.login(username=staff.username, password=PASSWORD)
    page = client.get(reverse("consegne:review", args=[consegna.pk])).content.decode()
    assert 'id="diffusivita-flags"' in page
    row = page.split(f'data-feature="{at.pk}"')[1].split("</tr>")[0]
    with connection.cursor() as cur:  # productive: 5 km reach; the other comuni within it (independent SQL)
        cur.execute(
            "SELECT c.name FROM mappature_comune c, mappature_pgtfeature f WHERE f.id = %s"
            " AND ST_DWithin(c.geom, f.geom, 5000) AND c.istat_code <> f.istat_code ORDER BY 1",
            [at.pk],
        )
        names = [r[0] for r in cur.fetchall()]
    assert names and all(name in row for name in names)
    assert world["comune"].name not in row.split('class="comuni">')[1]  # the host is not "to involve"

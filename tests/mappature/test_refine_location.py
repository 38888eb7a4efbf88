"""Staff refine an intervention's location on the admin map: precision becomes "site", who and when kept."""

import json

import pytest
from django.contrib.auth.models import User

from mappature.models import Realizzazione

pytestmark = pytest.mark.django_db


def test_moving_the_point_in_the_admin_records_site_precision_and_author(client, map_data):
    staff = User.objects.create_superuser("urbanista", "u@example.org", "a-long-password-123")
    client.force_login(staff)
    r = Realizzazione.objects.filter(geom__isnull=True).first()
    assert r.location_precision == "comune"
    form = {
        "code": r.code,
        "programme": r.programme,
        "title": r.title,
        "status": r.status,
        "funding_sources": ",".join(r.funding_sources),
        "comuni_istat": ",".join(r.comuni_istat),
        "domains": ",".join(r.domains),
        "amount_eur": str(r.amount_eur),
        "cofunding_eur": str(r.cofunding_eur),
        "year_start": r.year_start,
        "year_end": r.year_end,
        "geom": json.dumps({"type": "MultiPoint", "coordinates": [[9.2102, 45.4781]]}),
    }
    response = client.post(f"/admin/mappature/realizzazione/{r.pk}/change/", form)
    assert response.status_code == 302, response.content[:2000]
    r.refresh_from_db()
    assert r.location_precision == "site"
    assert r.location_refined_by == staff and r.location_refined_at is not None
    assert r.geom.srid == 32632
    # The map view now serves the refined site, not the comune's inner point.
    body = client.get(f"/api/strati/realizzazioni/elementi?comune={r.comuni_istat[0]}").json()
    feature = next(f for f in body["features"] if f["id"] == r.pk)
    lon, lat = feature["geometry"]["coordinates"][0]
    assert abs(lon - 9.2102) < 1e-5 and abs(lat - 45.4781) < 1e-5
    assert feature["properties"]["location_precision"] == "site"


def test_saving_without_moving_keeps_comune_precision(client, map_data):
    staff = User.objects.create_superuser("urbanista", "u@example.org", "a-long-password-123")
    client.force_login(staff)
    r = Realizzazione.objects.filter(geom__isnull=True).first()
    form = {
        "code": r.code,
        "programme": r.programme,
        "title": r.title + " (rivisto)",
        "status": r.status,
        "funding_sources": ",".join(r.funding_sources),
        "comuni_istat": ",".join(r.comuni_istat),
        "domains": ",".join(r.domains),
        "geom": "",
    }
    assert client.post(f"/admin/mappature/realizzazione/{r.pk}/change/", form).status_code == 302
    r.refresh_from_db()
    assert r.location_precision == "comune" and r.location_refined_by is None


def test_staff_move_a_point_from_the_map_with_precision_and_audit_trail(client, map_data):
    from django.contrib.admin.models import LogEntry

    r = Realizzazione.objects.filter(geom__isnull=True).first()
    url = f"/api/realizzazioni/{r.pk}/posizione"
    body = {"lon": 9.2102, "lat": 45.4781, "precision": "address"}
    assert client.post(url, body, content_type="application/json").status_code == 403  # anonymous
    planner = User.objects.create_user("lettore", password="a-long-password-123")
    client.force_login(planner)
    assert client.post(url, body, content_type="application/json").status_code == 403  # no permission
    staff = User.objects.create_superuser("urbanista", "u@example.org", "a-long-password-123")
    client.force_login(staff)
    bad = client.post(url, {**body, "precision": "comune"}, content_type="application/json")
    assert bad.status_code == 400 and "indirizzo" in bad.json()["error"]
    assert client.post(url, body, content_type="application/json").status_code == 200
    r.refresh_from_db()
    assert r.location_precision == "address" and r.location_refined_by == staff
    point = r.geom.transform(4326, clone=True)[0]
    assert abs(point.x - 9.2102) < 1e-6 and abs(point.y - 45.4781) < 1e-6
    entry = LogEntry.objects.get(object_id=str(r.pk))
    assert entry.user == staff and "address" in entry.change_message
    feature = next(
        f
        for f in client.get(f"/api/strati/realizzazioni/elementi?comune={r.comuni_istat[0]}").json()["features"]
        if f["id"] == r.pk
    )
    assert feature["properties"]["location_precision"] == "address"

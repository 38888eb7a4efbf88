"""Staff drag an intervention's point on the map, set the precision, and the move is recorded."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from mappature.models import Realizzazione
from tests.browser.webmap import open_map

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_drag_a_point_and_save_it_as_a_site(page, live_server, map_data):
    User.objects.create_superuser("urbanista", "u@example.org", "a-long-password-123")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "urbanista")
    page.fill("#id_password", "a-long-password-123")
    page.click("input[type=submit]")
    r = Realizzazione.objects.filter(geom__isnull=True, comuni_istat=["015182"]).first()
    open_map(page, live_server, "?layers=realizzazioni&comune=015182")
    page.wait_for_function("window.RemixDrawn.realizzazioni && window.RemixDrawn.realizzazioni.getLayers().length > 0")
    page.evaluate(
        """id => { const m = window.RemixDrawn.realizzazioni.getLayers().find(x => x.feature.id === id);
        window.RemixMap.setView(m.getLatLng(), 18, { animate: false });
        window.RemixMap.fire('click', { latlng: m.getLatLng() }); }""",
        r.pk,
    )
    button = page.locator(f'.leaflet-popup button[data-action="move"][data-id="{r.pk}"]')
    expect(button).to_be_visible()
    button.click()
    expect(page.locator("#move-panel")).to_be_visible()
    marker = page.locator(".leaflet-marker-draggable")
    box = marker.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 30, steps=8)
    page.mouse.up()
    page.select_option("#move-precision", "site")
    page.click("#move-save")
    expect(page.locator("#status")).to_contain_text("Posizione salvata")
    r.refresh_from_db()
    assert r.location_precision == "site" and r.geom is not None
    assert r.location_refined_by.username == "urbanista"


def test_planners_without_permission_see_no_move_button(page, live_server, map_data):
    r = Realizzazione.objects.filter(comuni_istat=["015182"]).first()
    open_map(page, live_server, "?layers=realizzazioni&comune=015182")
    page.wait_for_function("window.RemixDrawn.realizzazioni && window.RemixDrawn.realizzazioni.getLayers().length > 0")
    page.evaluate(
        """id => { const m = window.RemixDrawn.realizzazioni.getLayers().find(x => x.feature.id === id);
        window.RemixMap.setView(m.getLatLng(), 18, { animate: false });
        window.RemixMap.fire('click', { latlng: m.getLatLng() }); }""",
        r.pk,
    )
    expect(page.locator(".leaflet-popup dl").first).to_be_visible()
    assert page.locator('.leaflet-popup button[data-action="move"]').count() == 0

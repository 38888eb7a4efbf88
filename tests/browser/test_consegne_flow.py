"""The whole delivery flow in headless Chromium: login → upload → report → review → publish → in force."""

import json
from urllib.parse import urlencode
from urllib.request import urlopen

import pytest
from django.db import connection
from playwright.sync_api import expect

from consegne.models import Membership
from mappature.models import PgtAtto
from tests.consegne.conftest import BESATE, CORPUS, PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def live_settings(settings, tmp_path):
    """Uploads and scratch files in the test's own folders."""
    settings.REMIX = {**settings.REMIX, "CONSEGNE_DIR": tmp_path / "consegne", "WORK_DIR": tmp_path / "work"}
    return settings


# How many pixels the vector tiles of a map painted (canvas tiles of Leaflet.VectorGrid).
DRAWN_PIXELS = """(selector) => Array.from(document.querySelectorAll(selector + ' canvas.leaflet-tile'))
    .reduce((n, c) => n + c.getContext('2d').getImageData(0, 0, c.width, c.height).data
        .filter((v, i) => i % 4 === 3 && v > 0).length, 0)"""


def login(page, live_server, username):
    page.goto(f"{live_server.url}/consegne/accesso/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#deliveries")).to_be_visible()


def logout(page):
    page.click("header .linklike")
    expect(page.locator("#login-form")).to_be_visible()


def pgt_view_names(istat):
    with connection.cursor() as cur:
        cur.execute("SELECT nome_amb FROM pgt_ambiti_trasformazione WHERE istat_code = %s ORDER BY 1", [istat])
        return [r[0] for r in cur.fetchall()]


@pytest.mark.real_jobs
def test_technician_uploads_staff_reviews_and_publishes(
    page, live_server, comuni, live_settings, supervised_worker, tmp_path
):
    """A technician sees the validation progress and the report with its map; CMM staff publish it,
    and the layer's map in the catalogue shows the published features. The validation is run by the
    background worker, as with `make run`."""
    from layers.sync import sync

    supervised_worker(REMIX_CONSEGNE_DIR=str(tmp_path / "consegne"), REMIX_WORK_DIR=str(tmp_path / "work"))

    sync()  # the registry layers over the pgt_<layer> views, as `make run` declares them
    tecnico = make_user("tecnico.besate", Membership.Role.TECNICO, BESATE)
    make_user("revisore.cmm", Membership.Role.STAFF)

    login(page, live_server, tecnico.username)
    page.click("#new-delivery")
    page.set_input_files("#id_file", str(CORPUS / "good_3003_cp1252.zip"))
    page.select_option("#id_kind", "pgt")
    page.fill("#id_deliberation", "DCC 12/2024")
    page.fill("#id_approval_date", "2024-03-01")
    page.click("#upload-form button[type=submit]")

    # The report replaces the progress bar when the background validation ends.
    expect(page.locator("#outcome")).to_have_class("ok", timeout=60000)
    expect(page.locator("#state")).to_have_attribute("data-state", "in_revisione")
    warning = page.locator('#findings tr[data-rule="at_su_agricole"]')
    expect(warning).to_contain_text("ricade su aree agricole")
    accented = page.locator('#findings tr[data-rule="encoding_detected"]', has_text="ambiti_trasformazione.shp")
    expect(accented).to_contain_text("CP1252")
    page.wait_for_function("Number(document.querySelector('#map').dataset.loaded) > 0")
    warning.click()
    expect(warning).to_have_class("sev-row-avviso selected")
    assert page.locator("#map path.leaflet-interactive").count() > 0
    assert pgt_view_names(BESATE) == []  # staged, not yet in force
    logout(page)

    login(page, live_server, "revisore.cmm")
    page.click("#deliveries a:has-text('Rivedi')")
    # The bozza's map draws its vector tiles (fitted to the act's extent); nothing is in force yet.
    page.wait_for_function("Number(document.querySelector('#map-new').dataset.loaded) > 0", timeout=20000)
    assert page.evaluate(DRAWN_PIXELS, "#map-new") > 0
    expect(page.locator("#map-old")).to_have_attribute("data-loaded", "0")
    expect(page.locator('#review-legend li[data-layer="ambiti_trasformazione"]')).to_be_visible()
    page.locator("#map-new").click()  # the middle of the comune: a feature's layer and key in a popup
    expect(page.locator("#map-new .leaflet-popup-content")).to_contain_text(" · ")
    expect(page.locator('#diff tr[data-layer="ambiti_trasformazione"] td').nth(1)).to_have_text("2")
    asked = []
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))  # publishing asks for confirmation
    page.click("#publish")
    expect(page.locator("#state")).to_have_text("pubblicata")
    assert asked and "PGT vigente" in asked[0]
    expect(page.locator("#now-in-force")).to_contain_text("Ora è in vigore per")  # says what is in force now
    expect(page.locator("#history tr[data-state='vigente']")).to_have_count(1)
    assert pgt_view_names(BESATE) == ["AT1 Città Giardino", "AT2 Cascina Façade"]
    assert PgtAtto.objects.get(comune__istat_code=BESATE).state == "vigente"

    # On the map: the catalogue page of the layer draws the two published ambiti.
    page.goto(f"{live_server.url}/catalogo/pgt_ambiti_trasformazione/")
    page.wait_for_function("document.querySelector('#preview-map').dataset.loaded", timeout=20000)
    assert page.locator("#preview-map").get_attribute("data-loaded") == "2"
    assert page.locator("#preview-map path.preview-feature").count() == 2


def wfs_features(live_server, layer):
    """What QGIS gets from the live server: a WFS 2.0 GetFeature of the registry layer, as GeoJSON."""
    query = urlencode(
        {
            "SERVICE": "WFS",
            "VERSION": "2.0.0",
            "REQUEST": "GetFeature",
            "TYPENAMES": f"pgt_{layer}",
            "OUTPUTFORMAT": "geojson",
        }
    )
    with urlopen(f"{live_server.url}/ows?{query}", timeout=60) as answer:  # noqa: S310 - our own live server
        assert answer.status == 200
        data = json.load(answer)
    return sorted((f["properties"]["comune"], float(f["properties"]["area_m2"])) for f in data["features"])


def view_keys(layer):
    with connection.cursor() as cur:
        cur.execute(f"SELECT comune, area_m2 FROM pgt_{layer}")
        return sorted((comune, float(area)) for comune, area in cur.fetchall())


def same_features(served, expected):
    """The same features (comune and area; the GML/JSON writer rounds the area) in the same number."""
    return len(served) == len(expected) and all(
        a[0] == b[0] and abs(a[1] - b[1]) < 1 for a, b in zip(served, expected, strict=True)
    )


@pytest.fixture
def mapserver():
    """MapServer keeps its PostGIS connections open: close them so the test database can be dropped."""
    from layers.ogc import service

    service.close_connections()
    yield
    service.close_connections()


def test_published_pgt_is_served_by_wfs_and_rollback_restores_it(live_server, comuni, live_settings, mapserver):
    """Publish → the PGT layers' WFS (MapServer through the live server) serves the comune's new features
    at once, though the same maps answered just before; a variante replaces them; rollback brings back
    the first version's features."""
    from background.testing import run_jobs
    from consegne import actions
    from layers.sync import sync
    from mappature.models import Comune
    from tests.consegne.conftest import ACT, uploaded

    sync()  # the registry layers over the pgt_<layer> views, as `make run` declares them
    tecnico = make_user("tecnico.besate", Membership.Role.TECNICO, BESATE)
    staff = make_user("revisore.cmm", Membership.Role.STAFF)
    layers = ("ambiti_trasformazione", "consumo_suolo", "tessuto_urbano_consolidato", "aree_agricole")
    assert all(wfs_features(live_server, layer) == [] for layer in layers)  # maps loaded and cached

    def deliver(name):
        c = actions.submit(tecnico, Comune.objects.get(istat_code=BESATE), uploaded(name), ACT)
        run_jobs()
        c.refresh_from_db()
        return c

    first = deliver("good_32632.gpkg")
    actions.publish(staff, first)
    published = {layer: view_keys(layer) for layer in layers}
    assert all(published.values()) and {k[0] for keys in published.values() for k in keys} == {"Besate"}
    for layer in layers:
        assert same_features(wfs_features(live_server, layer), published[layer]), layer

    second = deliver("variante_32632.gpkg")
    actions.publish(staff, second)
    variante = view_keys("ambiti_trasformazione")
    assert variante != published["ambiti_trasformazione"]
    assert same_features(wfs_features(live_server, "ambiti_trasformazione"), variante)

    first.atto.refresh_from_db()
    actions.rollback(staff, first.atto)
    assert same_features(wfs_features(live_server, "ambiti_trasformazione"), published["ambiti_trasformazione"])


def test_review_of_a_variante_draws_both_versions_as_tiles(page, live_server, comuni, live_settings):
    """With a version in force, both review maps draw their act's tiles (the bozza's compared with it)."""
    from background.testing import run_jobs
    from consegne import actions
    from mappature.models import Comune
    from tests.consegne.conftest import ACT, uploaded

    tecnico = make_user("tecnico.besate", Membership.Role.TECNICO, BESATE)
    staff = make_user("revisore.cmm", Membership.Role.STAFF)
    besate = Comune.objects.get(istat_code=BESATE)
    actions.submit(tecnico, besate, uploaded("good_32632.gpkg"), ACT)
    run_jobs()
    actions.publish(staff, besate.consegne.get())
    variante = actions.submit(tecnico, besate, uploaded("variante_32632.gpkg"), ACT)
    run_jobs()

    login(page, live_server, staff.username)
    page.goto(f"{live_server.url}/consegne/{variante.pk}/revisione/")
    for selector in ("#map-new", "#map-old"):
        page.wait_for_function(f"Number(document.querySelector('{selector}').dataset.loaded) > 0", timeout=20000)
        assert page.evaluate(DRAWN_PIXELS, selector) > 0, selector
    expect(page.locator('#review-legend li[data-change="removed"]')).to_be_visible()


def test_review_legend_sits_beside_the_maps_and_the_audit_log_names_people_and_acts(
    page, live_server, comuni, live_settings
):
    """The review maps keep their whole area (the legend never covers them, on a laptop or a narrow window) and
    the activity log says who did what with names, not usernames or codes."""
    from background.testing import run_jobs
    from consegne import actions
    from mappature.models import Comune
    from tests.consegne.conftest import ACT, uploaded

    tecnico = make_user("tecnico.besate", Membership.Role.TECNICO, BESATE)
    tecnico.first_name, tecnico.last_name = "Giulia", "Ferrari"
    tecnico.save()
    staff = make_user("revisore.cmm", Membership.Role.STAFF)
    besate = Comune.objects.get(istat_code=BESATE)
    actions.submit(tecnico, besate, uploaded("good_32632.gpkg"), ACT)
    run_jobs()
    actions.publish(staff, besate.consegne.get())
    variante = actions.submit(tecnico, besate, uploaded("variante_32632.gpkg"), ACT)
    run_jobs()

    login(page, live_server, staff.username)
    for width in (1280, 700):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(f"{live_server.url}/consegne/{variante.pk}/revisione/")
        page.wait_for_function("Number(document.querySelector('#map-new').dataset.loaded) > 0", timeout=20000)
        legend = page.locator("#review-legend").bounding_box()
        for selector in ("#map-new", "#map-old"):
            box = page.locator(selector).bounding_box()
            assert box["height"] >= 300, (width, selector, box)
            overlap_x = min(box["x"] + box["width"], legend["x"] + legend["width"]) - max(box["x"], legend["x"])
            overlap_y = min(box["y"] + box["height"], legend["y"] + legend["height"]) - max(box["y"], legend["y"])
            assert overlap_x <= 0 or overlap_y <= 0, (width, selector, box, legend)
        # Nothing covers the legend either: the element at its centre is the legend itself.
        page.locator("#review-legend").scroll_into_view_if_needed()
        centre = page.evaluate("""() => { const r = document.querySelector('#review-legend li').getBoundingClientRect();
            const e = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return !!(e && e.closest('#review-legend')); }""")
        assert centre, width
    audit = page.locator("#audit")
    expect(audit).to_contain_text("Giulia Ferrari")
    expect(audit).to_contain_text("Besate")
    assert "tecnico.besate" not in audit.inner_text()
    assert "caricamento_" not in audit.inner_text() and "pubblicazione_" not in audit.inner_text()

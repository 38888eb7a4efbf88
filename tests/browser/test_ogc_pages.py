"""The export and QGIS-help pages as an analyst uses them, in headless Chromium with no internet."""

import re

import pytest
from playwright.sync_api import expect

from tests.ogc.conftest import build_data, export_dir  # noqa: F401 - exports written under tmp_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def export_data(transactional_db):
    """Comuni, a synthetic PGT and registry layers, committed (ogr2ogr reads them from outside)."""
    build_data()


def test_export_a_zona_and_download_the_geopackage(page, live_server):
    """Tick two layers, choose a zona omogenea, submit: the job page offers the GeoPackage to download."""
    page.goto(f"{live_server.url}/esportazioni/")
    page.get_by_label("Comuni").check()
    page.get_by_label("Ambiti di trasformazione").check()
    page.locator("input[name=area_kind][value=zona]").check()
    page.locator("select[name=zona]").select_option(label="Comune di Milano")
    page.get_by_role("button", name="Prepara il GeoPackage").click()
    expect(page.locator(".status")).to_have_attribute("data-status", "done")
    expect(page.locator(".export-job")).to_contain_text("Comune di Milano")
    with page.expect_download() as download:
        page.get_by_role("link", name="Scarica il GeoPackage").click()
    assert download.value.suggested_filename.endswith(".gpkg")


def test_export_errors_are_shown_in_italian(page, live_server):
    """Submitting without layers keeps the form and says what is missing."""
    page.goto(f"{live_server.url}/esportazioni/")
    page.get_by_role("button", name="Prepara il GeoPackage").click()
    expect(page.get_by_role("alert")).to_have_text("Scegli almeno uno strato da esportare.")


def test_qgis_help_gives_the_address_to_copy(page, live_server):
    """The help page shows the /ows address in a field ready to copy, and the English version is translated."""
    page.goto(f"{live_server.url}/servizi/ogc/?layer=comuni")
    expect(page.locator("#ows-url")).to_have_value(f"{live_server.url}/ows")
    expect(page.locator("#qgis-snippet")).to_contain_text("layers=comuni")
    page.goto(f"{live_server.url}/en/servizi/ogc/")
    expect(page.locator("h1")).to_have_text("WMS and WFS services")


def test_ogc_api_html_pages_through_the_features(page, live_server):
    """The help page gives the OGC API address; its HTML view lists features with labels and pages on."""
    page.goto(f"{live_server.url}/servizi/ogc/")
    expect(page.locator("#ogcapi-url")).to_have_value(f"{live_server.url}/ogcapi/")
    page.goto(f"{live_server.url}/ogcapi/collections?f=html")
    page.get_by_role("link", name="Ambiti di trasformazione (sintetico)").click()
    page.get_by_role("link", name="Elementi").first.click()
    expect(page.locator("table.ogcapi-items tbody tr")).to_have_count(10)
    first = page.locator("table.ogcapi-items tbody tr td").first.inner_text()
    page.locator("a[rel=next]").click()
    expect(page).to_have_url(re.compile(r"offset=10"))
    expect(page.locator("table.ogcapi-items tbody tr")).to_have_count(10)
    assert page.locator("table.ogcapi-items tbody tr td").first.inner_text() != first

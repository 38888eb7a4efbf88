"""Every page in English: its key labels read in English, and no Italian interface label is left."""

import re

import pytest
from playwright.sync_api import expect

from consegne.models import Membership
from tests.consegne.conftest import PASSWORD, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Italian interface labels that must never show on an English page (whole words, case-sensitive).
ITALIAN = [
    "Sintesi",
    "Selezione",
    "Strati",
    "Finanziamento",
    "Per abitante",
    "Cerca",
    "Stato",
    "Scarica",
    "Realizzazioni",
    "Tabella",
    "Accedi",
    "Consegna",
    "Versione",
    "Legenda",
    "Servizi",
    "Esporta",
    "Comuni",
    "Popolazione",
    "Filtri",
    "Nessun",
    "Superficie",
    "senza importo",
    "più fonti",
]

PAGES = {
    "/en/": ["Find a comune", "Homogeneous zones"],
    "/en/mappa/": [
        "Selection",
        "Layers",
        "Summary",
        "Total funding",
        "Per inhabitant",
        "Funding by source",
        "Intervention filters",
        "Without an amount",
        "Export GeoPackage",
        "Interventions",
    ],
    "/en/catalogo/": ["Layer catalogue", "Search", "Theme"],
    "/en/catalogo/realizzazioni/": ["Legend", "Attributes", "Data versions", "Licence"],
    "/en/servizi/ogc/": ["WMS and WFS services", "Service address"],
    "/en/consegne/accesso/": ["Log in", "Username"],
}


def _visible_text(page):
    return page.evaluate("document.body.innerText")


def _assert_english(text, labels, where):
    for label in labels:
        assert label in text, f"{where}: «{label}» missing"
    left = [w for w in ITALIAN if re.search(rf"(?<![\w-]){re.escape(w)}(?!\w)", text)]
    assert not left, f"{where}: Italian labels left: {left}"


@pytest.mark.parametrize("path", list(PAGES))
def test_page_reads_in_english(page, live_server, realizzazioni, path):
    page.goto(live_server.url + path)
    if path == "/en/mappa/":
        page.wait_for_function("document.querySelector('#map').dataset.loaded === '1'", timeout=20000)
        page.wait_for_function("!document.querySelector('#summary').dataset.loading", timeout=20000)
        page.locator("#filters-box summary").click()
        text = _visible_text(page)
        page.click("#tab-summary")
        text += "\n" + _visible_text(page)
    else:
        text = _visible_text(page)
    assert page.locator("html").get_attribute("lang") == "en"
    _assert_english(text, PAGES[path], path)


def test_delivery_pages_read_in_english(page, live_server, comuni):
    make_user("revisore.en", Membership.Role.STAFF)
    page.goto(f"{live_server.url}/en/consegne/accesso/")
    page.fill("#id_username", "revisore.en")
    page.fill("#id_password", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#deliveries")).to_be_visible()
    _assert_english(_visible_text(page), ["PGT deliveries"], "/en/consegne/")

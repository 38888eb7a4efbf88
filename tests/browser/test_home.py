"""The home map as a planner uses it, in headless Chromium with no internet."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_home(page, live_server, prefix=""):
    page.goto(f"{live_server.url}{prefix}/")
    page.wait_for_function(
        "document.querySelectorAll('path.comune').length === 133 && document.querySelector('#map').dataset.loaded",
        timeout=20000,
    )


def test_all_133_comuni_are_drawn_with_a_legend_of_the_zones(page, live_server, comuni):
    """Every comune is a shape on the map; the legend lists the 7 zone omogenee plus Milano."""
    open_home(page, live_server)
    assert page.locator("path.comune").count() == 133
    assert page.locator("#legend li").count() == 8
    assert "Sud Ovest" in page.locator("#legend").inner_text()


@pytest.mark.parametrize(
    ("typed", "name", "istat"),
    [
        ("cassina de pecchi", "Cassina de' Pecchi", "015060"),
        ("Trezzo sull’Adda", "Trezzo sull'Adda", "015221"),
        ("CERNUSCO SUL NAVIGLIO", "Cernusco sul Naviglio", "015070"),
    ],
)
def test_search_finds_a_comune_despite_accents_and_apostrophes(page, live_server, comuni, typed, name, istat):
    """Typing a name (any apostrophe, any case) and pressing Enter zooms to it and opens its card."""
    open_home(page, live_server)
    page.fill("#comune-search", typed)
    page.press("#comune-search", "Enter")
    card = page.locator("#comune-card")
    expect(card.locator('[data-field="name"]')).to_have_text(name)
    expect(card.locator('[data-field="istat_code"]')).to_have_text(istat)


def test_card_shows_zone_population_and_area_computed_in_postgis(page, live_server, comuni):
    """The card of a comune shows its zona (with the unconfirmed note), population and area."""
    from mappature.queries import comune_card

    open_home(page, live_server)
    page.fill("#comune-search", "Binasco")
    page.locator("#search-results li", has_text="Binasco").click()
    card = page.locator("#comune-card")
    expect(card.locator('[data-field="name"]')).to_have_text("Binasco")
    expected = comune_card(card.get_attribute("data-istat"))
    assert card.locator('[data-field="zona"]').inner_text() == expected["zona"] == "Sud Ovest"
    # Sud Ovest assignments are inferred, not confirmed by a named source: the card says so.
    assert "non confermata" in card.locator('[data-field="zona_note"]').inner_text()
    area = card.locator('[data-field="area_km2"]').inner_text()
    assert area == f"{expected['area_km2']:.2f}".replace(".", ",").rstrip("0").rstrip(",")
    population = card.locator('[data-field="population"]').inner_text().replace(".", "")
    assert int(population) == expected["population"]
    # The official surface, said so, and the density computed from it; the boundaries are generalised.
    assert expected["area_official"] and "ufficiale ISTAT" in card.locator('[data-field="area_note"]').inner_text()
    density = card.locator('[data-field="density"]').inner_text().replace(".", "")
    assert int(density) == pytest.approx(expected["population"] / expected["area_km2"], rel=0.005)
    expect(card).to_contain_text("generalizzati")


def test_clicking_a_shape_opens_its_card(page, live_server, comuni):
    """A click on the map selects the comune under the pointer."""
    open_home(page, live_server)
    assert page.locator("#comune-card").is_hidden()
    name = page.locator('#comune-card [data-field="name"]')
    page.locator('path.comune[data-istat="015146"]').click()
    expect(name).to_have_text("Milano")
    page.locator('path.comune[data-istat="015182"]').click()
    expect(name).to_have_text("Rho")


def test_english_page(page, live_server, comuni):
    """The interface is Italian by default and English under /en/."""
    open_home(page, live_server, "/en")
    assert page.locator("label[for=comune-search]").inner_text() == "Find a comune"
    assert page.locator("html").get_attribute("lang") == "en"

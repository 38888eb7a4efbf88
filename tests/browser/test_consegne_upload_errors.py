"""The upload form in headless Chromium: a file over the limit is refused with the form still filled in."""

import pytest
from playwright.sync_api import expect

from consegne.models import AuditEntry, Consegna, Membership
from tests.consegne.conftest import BESATE, make_user

from .test_consegne_flow import login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def small_limit(settings, tmp_path):
    """Uploads over 1 MB are refused; nothing is validated (no worker thread)."""
    settings.REMIX = {
        **settings.REMIX,
        "CONSEGNE_DIR": tmp_path / "consegne",
        "WORK_DIR": tmp_path / "work",
        "CONSEGNE_INLINE_WORKER": False,
        "CONSEGNE_MAX_UPLOAD_MB": 1,
    }


def _fill(page, path):
    page.select_option("#id_kind", "variante")
    page.fill("#id_deliberation", "DCC 47/2025")
    page.fill("#id_adoption_date", "2025-02-03")
    page.set_input_files("#id_file", str(path))
    page.click("#upload-form button[type=submit]")


def test_a_file_over_the_limit_is_refused_and_the_form_stays_filled_in(
    page, live_server, comuni, small_limit, tmp_path
):
    make_user("tecnico.besate", Membership.Role.TECNICO, BESATE)
    big = tmp_path / "consegna.zip"
    big.write_bytes(b"\0" * (2 * 1024 * 1024))
    login(page, live_server, "tecnico.besate")
    page.goto(f"{live_server.url}/consegne/nuova/")
    _fill(page, big)
    expect(page.locator('.field-error[data-field="file"]')).to_have_text(
        "Il file supera la dimensione massima consentita (1 MB)."
    )
    expect(page.locator("#id_deliberation")).to_have_value("DCC 47/2025")
    expect(page.locator("#id_adoption_date")).to_have_value("2025-02-03")
    expect(page.locator("#id_kind")).to_have_value("variante")
    assert not Consegna.objects.exists()

    # Without the page's script the server refuses it the same way, and logs it.
    page.evaluate("document.querySelector('#id_file').dataset.maxBytes = '999999999'")
    with page.expect_navigation():
        page.click("#upload-form button[type=submit]")
    expect(page.locator('.field-error[data-field="file"]')).to_contain_text("dimensione massima consentita (1 MB)")
    expect(page.locator("#id_deliberation")).to_have_value("DCC 47/2025")
    expect(page.locator("#id_adoption_date")).to_have_value("2025-02-03")
    assert AuditEntry.objects.filter(action="caricamento_rifiutato").count() == 1
    assert not Consegna.objects.exists()

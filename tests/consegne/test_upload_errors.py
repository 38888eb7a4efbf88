"""Errors a technician can meet on the upload form: the rest of the form stays filled in, the refusal
is in the audit log, and no message shows a server path or an untranslated library message."""

import re
import sqlite3

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from background.testing import run_jobs
from consegne import actions
from consegne.models import AuditEntry, Consegna
from consegne.rules import message
from mappature.models import Comune

from .conftest import ACT, BESATE, CASSINA, CORPUS, PASSWORD

pytestmark = pytest.mark.django_db

FILLED = {
    "kind": "variante",
    "deliberation": "DCC 47/2025",
    "adoption_date": "2025-02-03",
    "approval_date": "2025-06-30",
    "burl_date": "2025-07-16",
}


def _value(page: str, name: str) -> str | None:
    tag = re.search(rf'<(?:input|select)[^>]*name="{name}"[^>]*>', page)
    if tag and tag.group(0).startswith("<select"):
        chosen = re.search(rf'name="{name}".*?<option value="([^"]*)" selected', page, re.S)
        return chosen.group(1) if chosen else None
    found = tag and re.search(r'value="([^"]*)"', tag.group(0))
    return found.group(1) if found else None


def _assert_filled_in(page: str) -> None:
    for name, value in FILLED.items():
        assert _value(page, name) == value, name


def _no_leak(page: str, tmp_path) -> None:
    for secret in (str(settings.BASE_DIR), str(tmp_path), "Traceback", "/tmp/", "/var/"):
        assert secret not in page


def _post(client, user, **data):
    client.login(username=user.username, password=PASSWORD)
    # Sent in the order of the page's form, the file last (as browsers send it).
    return client.post(reverse("consegne:upload"), {**data})


def test_the_file_field_comes_last_in_the_page(client, tecnico, consegne_settings):
    client.login(username=tecnico.username, password=PASSWORD)
    page = client.get(reverse("consegne:upload")).content.decode()
    names = re.findall(r'name="(\w+)"', page)
    assert names[-1] == "file" and names.index("file") > names.index("burl_date")
    assert f'data-max-bytes="{settings.REMIX["CONSEGNE_MAX_UPLOAD_MB"] * 1024 * 1024}"' in page


def test_a_too_big_upload_keeps_the_form_and_is_audited(client, tecnico, consegne_settings, tmp_path):
    consegne_settings.REMIX = {**consegne_settings.REMIX, "CONSEGNE_MAX_UPLOAD_MB": 1}
    besate = Comune.objects.get(istat_code=BESATE)
    big = SimpleUploadedFile("Tavola_previsioni.zip", b"\0" * (3 * 1024 * 1024))
    response = _post(client, tecnico, comune=besate.pk, **FILLED, file=big)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Il file supera la dimensione massima consentita (1 MB)." in page
    assert "Questo campo è obbligatorio" not in page  # the file is not "missing": it was too big
    _assert_filled_in(page)
    assert _value(page, "comune") == str(besate.pk)
    _no_leak(page, tmp_path)
    entry = AuditEntry.objects.get(action="caricamento_rifiutato")
    assert (entry.username, entry.istat_code, entry.details["file"]) == (
        tecnico.username,
        BESATE,
        "Tavola_previsioni.zip",
    )
    assert "dimensione massima" in entry.details["motivo"]
    assert not Consegna.objects.exists()


def test_a_tampered_comune_keeps_the_form_and_is_audited(client, tecnico, consegne_settings, tmp_path):
    """A technician of Besate posts Cassina's id: refused, said, logged; nothing stored."""
    cassina = Comune.objects.get(istat_code=CASSINA)
    upload = SimpleUploadedFile("good_32632.gpkg", (CORPUS / "good_32632.gpkg").read_bytes())
    response = _post(client, tecnico, comune=cassina.pk, **FILLED, file=upload)
    assert response.status_code == 400
    page = response.content.decode()
    assert "Scegli un&#x27;opzione valida" in page
    _assert_filled_in(page)
    _no_leak(page, tmp_path)
    entry = AuditEntry.objects.get(action="caricamento_rifiutato")
    assert entry.details["comune_inviato"] == str(cassina.pk) and entry.details["campi"] == ["comune"]
    assert entry.details["file"] == "good_32632.gpkg" and entry.istat_code == ""
    assert not Consegna.objects.exists()
    assert not list(consegne_settings.REMIX["CONSEGNE_DIR"].glob("**/*.gpkg"))


def test_the_english_interface_refuses_in_english(client, tecnico, consegne_settings):
    consegne_settings.REMIX = {**consegne_settings.REMIX, "CONSEGNE_MAX_UPLOAD_MB": 1}
    client.login(username=tecnico.username, password=PASSWORD)
    big = SimpleUploadedFile("consegna.zip", b"\0" * (2 * 1024 * 1024))
    response = client.post(
        "/en" + reverse("consegne:upload"), {"comune": Comune.objects.get(istat_code=BESATE).pk, **FILLED, "file": big}
    )
    page = response.content.decode()
    assert "The file exceeds the maximum allowed size (1 MB)." in page
    assert "dimensione massima" not in page


def test_an_unreadable_geopackage_is_reported_without_paths_or_gdal_text(tecnico, consegne_settings, tmp_path):
    """A SQLite file that is no GeoPackage passes the upload's check and fails in GDAL, whose own
    message names the server path and is in English: the report says it in Italian, path-free."""
    path = tmp_path / "consegna.gpkg"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE x (a)")
    db.commit()
    db.close()
    c = actions.submit(
        tecnico, Comune.objects.get(istat_code=BESATE), SimpleUploadedFile("consegna.gpkg", path.read_bytes()), ACT
    )
    run_jobs()
    c.refresh_from_db()
    assert c.state == Consegna.State.RESPINTA
    texts = [message(f.rule, f.params) for f in c.findings.all()]
    assert any("danneggiato o non è nel formato atteso" in t for t in texts), texts
    assert not any("/" in t for t in texts), texts

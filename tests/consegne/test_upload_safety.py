"""Hostile or broken uploads get a clear Italian error and leave nothing behind (no file, no row)."""

import pytest

from consegne import actions
from consegne.errors import UploadRejected
from consegne.models import AuditEntry, Consegna
from mappature.models import Comune

from .conftest import ACT, BESATE, uploaded

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("hostile_traversal.zip", "percorso non consentito"),
        ("hostile_symlink.zip", "collegamento simbolico"),
        ("hostile_nested.zip", "un altro archivio"),
        ("hostile_bomb.zip", "si espande in modo anomalo"),
        ("hostile_foreign_file.zip", "tipo non previsto"),
        ("hostile_truncated.zip", "danneggiato o incompleto"),
        ("hostile_wrong_extension.rar", "Formato non accettato"),
        ("hostile_not_a_geopackage.gpkg", "non è un GeoPackage valido"),
    ],
)
def test_hostile_upload_is_refused_and_nothing_is_written(tecnico, consegne_settings, name, words):
    comune = Comune.objects.get(istat_code=BESATE)
    with pytest.raises(UploadRejected) as err:
        actions.submit(tecnico, comune, uploaded(name), ACT)
    assert words in str(err.value)
    assert not Consegna.objects.exists()
    folder = consegne_settings.REMIX["CONSEGNE_DIR"]
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))
    # The refusal itself is audited, with who and why.
    entry = AuditEntry.objects.get(action="caricamento_rifiutato")
    assert entry.username == tecnico.username and words in entry.details["motivo"]


def test_upload_over_the_size_limit_is_refused(tecnico, consegne_settings):
    consegne_settings.REMIX = {**consegne_settings.REMIX, "CONSEGNE_MAX_UPLOAD_MB": 0}
    with pytest.raises(UploadRejected, match="dimensione massima"):
        actions.submit(tecnico, Comune.objects.get(istat_code=BESATE), uploaded("good_32632.gpkg"), ACT)
    assert not Consegna.objects.exists()


def test_the_bomb_check_counts_real_bytes_not_headers(tecnico, consegne_settings):
    """Even with a generous ratio, the unpacked total is capped by what decompression really yields."""
    consegne_settings.REMIX = {**consegne_settings.REMIX, "CONSEGNE_MAX_RATIO": 10**9, "CONSEGNE_MAX_UNPACKED_MB": 10}
    with pytest.raises(UploadRejected, match="espande"):
        actions.submit(tecnico, Comune.objects.get(istat_code=BESATE), uploaded("hostile_bomb.zip"), ACT)


def test_an_upload_over_the_limit_is_cut_off_while_it_is_received(client, tecnico, consegne_settings):
    """The page says the file is too big; the body is not spooled to disk past the limit."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from .conftest import PASSWORD

    consegne_settings.REMIX = {**consegne_settings.REMIX, "CONSEGNE_MAX_UPLOAD_MB": 1}
    client.login(username=tecnico.username, password=PASSWORD)
    big = SimpleUploadedFile("consegna.zip", b"\0" * (3 * 1024 * 1024))
    response = client.post(
        reverse("consegne:upload"),
        {
            "comune": Comune.objects.get(istat_code=BESATE).pk,
            "file": big,
            "kind": "pgt",
            "deliberation": "1",
            "adoption_date": "2024-01-01",
        },
    )
    assert response.status_code == 400
    assert "dimensione massima consentita (1 MB)" in response.content.decode()
    assert not Consegna.objects.exists()


def test_upload_page_still_requires_the_csrf_token(tecnico, consegne_settings):
    from django.test import Client
    from django.urls import reverse

    from .conftest import PASSWORD

    client = Client(enforce_csrf_checks=True)
    client.login(username=tecnico.username, password=PASSWORD)
    response = client.post(reverse("consegne:upload"), {"deliberation": "1"})
    assert response.status_code == 403


def test_the_same_layer_twice_in_different_folders_is_refused(tecnico, consegne_settings, tmp_path):
    import zipfile

    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import CORPUS

    buffer = tmp_path / "doppio.zip"
    with zipfile.ZipFile(CORPUS / "bad_missing_prj.zip") as src, zipfile.ZipFile(buffer, "w") as out:
        for info in src.infolist():
            out.writestr(f"v1/{info.filename}", src.read(info))
            out.writestr(f"v2/{info.filename}", src.read(info))
    with pytest.raises(UploadRejected, match="più volte"):
        actions.submit(
            tecnico, Comune.objects.get(istat_code=BESATE), SimpleUploadedFile("doppio.zip", buffer.read_bytes()), ACT
        )

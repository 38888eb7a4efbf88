"""Hostile or broken uploads get a clear Italian error and leave nothing behind (no file, no row)."""

import pytest

from consegne import actions
from consegne.errors import UploadRejected
from consegne.models import AuditEntry, Consegna
from mappature.models import Comune

from .conftest import ACT, BESATE, uploaded

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("name", "words"), [
    ("hostile_traversal.zip", "percorso non consentito"),
    ("hostile_symlink.zip", "collegamento simbolico"),
    ("hostile_nested.zip", "un altro archivio"),
    ("hostile_bomb.zip", "si espande in modo anomalo"),
    ("hostile_foreign_file.zip", "tipo non previsto"),
    ("hostile_truncated.zip", "danneggiato o incompleto"),
    ("hostile_wrong_extension.rar", "Formato non accettato"),
    ("hostile_not_a_geopackage.gpkg", "non è un GeoPackage valido"),
])
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

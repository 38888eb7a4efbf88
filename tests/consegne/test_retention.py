"""Retention of uploaded files: ended deliveries lose their file after N days, never their records."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from consegne import actions, retention
from consegne.models import AuditEntry, Consegna
from mappature.models import Comune
from remix import storage

from .conftest import ACT, BESATE, PASSWORD, uploaded

pytestmark = pytest.mark.django_db


def on_disk(consegna: Consegna) -> Path:
    """Where the deliveries' filesystem storage keeps the delivery's file."""
    return Path(storage.get(storage.CONSEGNE).path(consegna.stored_path))


def aged(consegna: Consegna, days: int, field: str = "finished_at") -> Consegna:
    """Pretend ``field`` (when the delivery ended) was ``days`` ago."""
    Consegna.objects.filter(pk=consegna.pk).update(**{field: timezone.now() - timedelta(days=days)})
    consegna.refresh_from_db()
    return consegna


@pytest.fixture
def deliveries(tecnico, staff, deliver):
    """One delivery per case, each with its file on disk."""
    d = {}
    d["respinta_old"] = aged(deliver(tecnico, "bad_missing_prj.zip"), 100)
    d["respinta_recent"] = aged(deliver(tecnico, "bad_missing_prj.zip"), 10)
    d["fallita_old"] = aged(deliver(tecnico, "bad_missing_prj.zip"), 100)
    Consegna.objects.filter(pk=d["fallita_old"].pk).update(state=Consegna.State.FALLITA)
    d["pubblicata_old"] = deliver(tecnico, "good_32632.gpkg")
    actions.publish(staff, d["pubblicata_old"])
    d["pubblicata_old"] = aged(aged(d["pubblicata_old"], 100), 100, "reviewed_at")
    d["rinviata_old"] = deliver(tecnico, "good_32632.gpkg")
    actions.send_back(staff, d["rinviata_old"], "rifare")
    d["rinviata_old"] = aged(aged(d["rinviata_old"], 120), 100, "reviewed_at")
    # Validated long ago but sent back only last week: it ended last week.
    d["rinviata_recent"] = deliver(tecnico, "good_32632.gpkg")
    actions.send_back(staff, d["rinviata_recent"], "rifare")
    d["rinviata_recent"] = aged(d["rinviata_recent"], 120)
    d["in_revisione_old"] = aged(deliver(tecnico, "good_32632.gpkg"), 100)
    d["in_coda_old"] = actions.submit(tecnico, Comune.objects.get(istat_code=BESATE), uploaded("good_32632.gpkg"), ACT)
    Consegna.objects.filter(pk=d["in_coda_old"].pk).update(created_at=timezone.now() - timedelta(days=100))
    for c in d.values():
        c.refresh_from_db()
        assert on_disk(c).is_file()
    return d


PURGED = {"respinta_old", "fallita_old", "rinviata_old"}


def test_purge_deletes_only_the_files_of_deliveries_ended_without_a_version(client, tecnico, deliveries):
    findings = {name: c.findings.count() for name, c in deliveries.items()}
    result = retention.purge(days=90)

    assert sorted(result.purged) == sorted(deliveries[name].pk for name in PURGED)
    assert result.bytes == sum(deliveries[name].size_bytes for name in PURGED)
    for name, c in deliveries.items():
        c.refresh_from_db()
        path = on_disk(c)
        if name in PURGED:
            assert not path.exists() and not path.parent.exists(), name
            assert c.purged_at is not None, name
        else:
            assert path.is_file() and c.purged_at is None, name
        assert c.findings.count() == findings[name], name  # the report stays
        assert AuditEntry.objects.filter(object_type="consegna", object_id=str(c.pk)).exists(), name
    run = AuditEntry.objects.get(action="eliminazione_file")
    assert run.username == "sistema" and run.details["giorni"] == 90
    assert sorted(run.details["consegne"]) == sorted(result.purged)

    # The pages say so instead of failing; a second run finds nothing more.
    client.login(username=tecnico.username, password=PASSWORD)
    page = client.get(reverse("consegne:detail", args=[deliveries["respinta_old"].pk]))
    assert page.status_code == 200 and 'id="file-purged"' in page.content.decode()
    kept = client.get(reverse("consegne:detail", args=[deliveries["respinta_recent"].pk]))
    assert 'id="file-purged"' not in kept.content.decode()
    assert retention.purge(days=90).purged == []


def test_dry_run_lists_and_changes_nothing(deliveries):
    out = StringIO()
    call_command("consegne", "purge", "--days", "90", "--dry-run", stdout=out)
    assert "da eliminare" in out.getvalue()
    assert all(str(deliveries[name].pk) in out.getvalue() for name in PURGED)
    for c in deliveries.values():
        c.refresh_from_db()
        assert on_disk(c).is_file() and c.purged_at is None
    assert not AuditEntry.objects.filter(action="eliminazione_file").exists()


def test_the_setting_gives_the_default_days_and_the_command_purges(deliveries, consegne_settings):
    consegne_settings.REMIX = {**consegne_settings.REMIX, "CONSEGNE_RETENTION_DAYS": 5}
    out = StringIO()
    call_command("consegne", "purge", stdout=out)
    assert "file eliminati: 4" in out.getvalue()  # respinta_recent (10 days) too
    assert Consegna.objects.filter(purged_at__isnull=False).count() == 4


def test_a_file_outside_the_deliveries_folder_is_never_deleted(deliveries, tmp_path):
    elsewhere = tmp_path / "elsewhere.zip"
    elsewhere.write_bytes(b"not ours")
    Consegna.objects.filter(pk=deliveries["respinta_old"].pk).update(stored_path=str(elsewhere))
    result = retention.purge(days=90)
    assert result.outside == [deliveries["respinta_old"].pk]
    assert elsewhere.read_bytes() == b"not ours"
    assert Consegna.objects.get(pk=deliveries["respinta_old"].pk).purged_at is None


def test_a_file_that_cannot_be_read_is_reported_and_the_others_are_purged(deliveries, monkeypatch):
    """A folder without permission must not stop the purge of the other deliveries."""
    blocked = deliveries["fallita_old"].stored_path
    files = storage.get(storage.CONSEGNE)
    size = files.size

    def guarded(name):
        if name == blocked:
            raise PermissionError(13, "Permission denied", name)
        return size(name)

    monkeypatch.setattr(files, "size", guarded)
    result = retention.purge(days=90)
    assert set(result.errors) == {deliveries["fallita_old"].pk}
    assert set(result.purged) == {deliveries[n].pk for n in PURGED - {"fallita_old"}}

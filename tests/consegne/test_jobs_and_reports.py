"""The validation jobs, and the report downloads a technician gets (JSON, CSV, GeoJSON)."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from background.testing import queued, run_jobs
from consegne import actions, jobs
from consegne.models import Consegna
from mappature.models import Comune

from .conftest import ACT, BESATE, PASSWORD, uploaded

pytestmark = pytest.mark.django_db


def test_each_delivery_is_one_validation_job_and_requeueing_an_active_one_is_refused(tecnico, consegne_settings):
    comune = Comune.objects.get(istat_code=BESATE)
    first = actions.submit(tecnico, comune, uploaded("good_32632.gpkg"), ACT)
    second = actions.submit(tecnico, comune, uploaded("bad_attributes.zip"), ACT)
    assert [(j["task_name"], j["args"]) for j in queued("validations")] == [
        ("validate_delivery", {"consegna_id": first.pk}),
        ("validate_delivery", {"consegna_id": second.pk}),
    ]
    with pytest.raises(jobs.AlreadyQueued, match="già in coda"):
        jobs.queue(first.pk)  # a second job for a waiting delivery is refused (procrastinate's queueing lock)
    with pytest.raises(CommandError, match="già in coda o in validazione"):
        call_command("consegne", "requeue", str(first.pk))
    assert run_jobs() == 2
    states = dict(Consegna.objects.values_list("pk", "state"))
    assert states == {first.pk: "in_revisione", second.pk: "respinta"}


def test_a_delivery_that_failed_internally_can_be_validated_again(tecnico, consegne_settings):
    comune = Comune.objects.get(istat_code=BESATE)
    c = actions.submit(tecnico, comune, uploaded("good_32632.gpkg"), ACT)
    Consegna.objects.filter(pk=c.pk).update(state="in_validazione", started_at=timezone.now() - timedelta(hours=2))
    jobs.give_up(c.pk, "il processo si è interrotto")  # what the recovery of a stalled job does at last
    c.refresh_from_db()
    assert c.state == "fallita" and "il processo si è interrotto" in c.findings.get().params["detail"]
    run_jobs()  # the first job finds the delivery ended: nothing to do
    c.refresh_from_db()
    assert c.state == "fallita"
    call_command("consegne", "requeue", str(c.pk))
    assert run_jobs() == 1
    c.refresh_from_db()
    assert c.state == "in_revisione" and not c.findings.filter(rule="internal_error").exists()


def test_report_downloads_carry_every_finding_with_its_italian_message(client, tecnico, deliver):
    c = deliver(tecnico, "bad_geometry.zip")
    client.login(username=tecnico.username, password=PASSWORD)
    data = json.loads(client.get(reverse("consegne:report_json", args=[c.pk])).content)
    assert data["stato"] == "respinta" and len(data["risultati"]) == c.findings.count()
    overlap = next(f for f in data["risultati"] if f["rule"] == "overlap")
    assert "si sovrappone" in overlap["message"] and overlap["layer"] == "tessuto_urbano_consolidato"
    body = client.get(reverse("consegne:report_csv", args=[c.pk])).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body), delimiter=";"))
    assert len(rows) == c.findings.count() + 1 and any("esce dal confine comunale" in r[4] for r in rows)
    geo = json.loads(client.get(reverse("consegne:findings_geojson", args=[c.pk])).content)
    lon, lat = _first_coordinate(geo["features"][0]["geometry"]["coordinates"])
    assert 8.6 < lon < 9.6 and 45.1 < lat < 45.7  # WGS84, inside the Città metropolitana


def test_report_reads_in_english(client, tecnico, deliver):
    c = deliver(tecnico, "bad_missing_prj.zip")
    client.login(username=tecnico.username, password=PASSWORD)
    page = client.get(f"/en{reverse('consegne:detail', args=[c.pk])}").content.decode()
    assert "has no .prj file" in page


def _first_coordinate(coords):
    while isinstance(coords[0], list):
        coords = coords[0]
    return coords


def test_a_validation_run_again_reports_each_finding_once(tecnico, deliver):
    """A worker killed after some checks leaves their findings; the requeued run starts afresh."""
    from consegne.validation import validate

    c = deliver(tecnico, "bad_attributes.zip")
    first = sorted(c.findings.values_list("rule", "layer", "feature"))
    Consegna.objects.filter(pk=c.pk).update(state="in_validazione")  # as a killed worker leaves it
    c.refresh_from_db()
    validate(c)
    assert sorted(c.findings.values_list("rule", "layer", "feature")) == first

"""Identical export requests are served by the same job (one GeoPackage written, one link)."""

import pytest
from django.test import Client

from layers.exports.models import ExportJob
from layers.models import Layer
from layers.registry import data_changed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("export_data")]


def test_identical_requests_are_served_by_the_same_job(client):
    """The same export asked twice (or by two clients) is written once; other data or areas make a new one."""
    request = {"layers": ["comuni", "ambiti_trasformazione"], "area_kind": "zona", "zona": "nord-milano"}
    first = client.post("/api/esportazioni/", request).json()
    assert first["status"] == "done"
    again = Client().post("/api/esportazioni/", {**request, "layers": ["ambiti_trasformazione", "comuni"]}).json()
    assert again["id"] == first["id"] and again["download_url"] == first["download_url"]
    assert ExportJob.objects.count() == 1
    other_area = client.post("/api/esportazioni/", {**request, "zona": "sud-ovest"}).json()
    assert other_area["id"] != first["id"]
    data_changed(Layer.objects.filter(slug="comuni"))  # a reload
    reloaded = client.post("/api/esportazioni/", request).json()
    assert reloaded["id"] not in (first["id"], other_area["id"])
    assert ExportJob.objects.count() == 3

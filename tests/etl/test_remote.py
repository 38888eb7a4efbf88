"""Remote readers against services the test starts on 127.0.0.1 (never the internet)."""

import json

import pytest
from django.conf import settings

from etl.errors import SourceNotFound, SourceUnreadable
from mappature.models import Stazione, ThematicFeature

from .conftest import FIXTURES, aree_source, declare, stazioni_source
from .remote_server import FakeServices


def _stations() -> list[dict]:
    data = json.loads((settings.REMIX["DATA_DIR"] / "stazioni_rfi_cmm.geojson").read_text(encoding="utf-8"))
    return data["features"]


@pytest.fixture
def services(settings, tmp_path):
    settings.REMIX = {**settings.REMIX, "WORK_DIR": tmp_path / "work"}
    zipped = (FIXTURES / "aree_cp1252.zip").read_bytes()
    catalogue = (
        b'<?xml version="1.0" encoding="UTF-8"?><root generated="11/2026">'
        b"<servizi_banchedati_PTM><ID>42</ID><SERVIZIO>Aree di prova</SERVIZIO><DESCRIZIONE>Prova</DESCRIZIONE>"
        b"<CATEGORIA>RETE VERDE</CATEGORIA><TAVOLA>5</TAVOLA><METADATO>metadati/aree.pdf</METADATO>"
        b"<DATO>dati_PTM/aree_cp1252.zip</DATO><WMS></WMS><AGGIORNAMENTO>03/2021</AGGIORNAMENTO>"
        b"</servizi_banchedati_PTM></root>"
    )
    server = FakeServices(
        _stations(),
        files={
            "/files/stazioni.geojson": (settings.REMIX["DATA_DIR"] / "stazioni_rfi_cmm.geojson").read_bytes(),
            "/websit/servizi_banchedati_PTM.xml": catalogue,
            "/websit/dati_PTM/aree_cp1252.zip": zipped,
        },
    )
    yield server
    server.close()


def _station_fields():
    return {"code": "station_code", "name": "station_name", "istat_code": "istat_code"}


def test_http_download_is_loaded_and_unchanged_the_second_time(load, services):
    source = declare(
        id="prova-http",
        reader="http",
        location=f"{services.base}/files/stazioni.geojson",
        target="mappature.Stazione",
        natural_key="code",
        fields=_station_fields(),
    )
    assert load(source).loaded == 43
    assert load(source).status == "unchanged"


def test_wfs_is_read_page_by_page(load, services):
    source = declare(
        id="prova-wfs",
        reader="wfs",
        location=f"{services.base}/wfs",
        layer="cmm:stazioni",
        options={"page_size": 10},
        target="mappature.Stazione",
        natural_key="code",
        fields=_station_fields(),
    )
    result = load(source)
    assert result.loaded == 43 == Stazione.objects.count()
    pages = [r for r in services.requests if "GetFeature" in r]
    assert len(pages) == 5  # 10 + 10 + 10 + 10 + 3


def test_arcgis_rest_is_read_by_object_id_batches(load, services):
    url = f"{services.base}/arcgis/rest/services/territorio/tav_previsioni_b/MapServer/13"
    source = declare(
        id="prova-arcgis",
        reader="arcgis",
        location=url,
        options={"page_size": 20},
        target="mappature.Stazione",
        natural_key="code",
        fields=_station_fields(),
    )
    result = load(source)
    assert result.loaded == 43
    batches = [r for r in services.requests if "objectIds=" in r]
    assert len(batches) == 3
    first = Stazione.objects.get(code=_stations()[0]["properties"]["station_code"])
    assert first.geom.srid == 32632


def test_websit_catalogue_entry_is_found_and_its_shapefile_loaded(load, services):
    source = aree_source(f"{services.base}/websit/servizi_banchedati_PTM.xml")
    source = declare(
        **{
            "id": "prova-websit",
            "reader": "websit",
            "location": source.location,
            "options": {"dataset": "Aree di prova"},
            "target": source.target,
            "geometry_type": "MultiPolygon",
            "natural_key": ["layer", "feature_key"],
            "fields": {"layer": {"value": "prova"}, "feature_key": "CODICE", "name": "NOME"},
        }
    )
    assert load(source).loaded == 4
    assert ThematicFeature.objects.filter(name="Cascina Gobbà").exists()


def test_unreachable_service_and_unknown_dataset_are_clear_errors(load, services):
    with pytest.raises(SourceNotFound, match="non esiste o non è raggiungibile"):
        load(stazioni_source(f"{services.base}/files/manca.zip", reader="http"))
    source = declare(
        id="prova-websit",
        reader="websit",
        location=f"{services.base}/websit/servizi_banchedati_PTM.xml",
        options={"dataset": "nessuno"},
        target="mappature.Stazione",
        natural_key="code",
        fields=_station_fields(),
    )
    with pytest.raises(SourceNotFound, match="non contiene il dataset"):
        load(source)


def test_download_larger_than_the_limit_is_refused(load, services):
    source = declare(
        id="prova-http",
        reader="http",
        location=f"{services.base}/files/stazioni.geojson",
        options={"max_mb": 0},
        target="mappature.Stazione",
        natural_key="code",
        fields=_station_fields(),
    )
    with pytest.raises(SourceUnreadable, match="limite"):
        load(source)

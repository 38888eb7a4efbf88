"""The indicators' JSON/CSV API against the shipped files."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db
DATA = Path(settings.BASE_DIR) / "data"


@pytest.fixture
def client():
    return Client(HTTP_HOST="127.0.0.1")


def test_indicators_are_listed_with_their_declaration_in_both_languages(client, indicator_inputs):
    body = client.get("/api/indicatori").json()
    codes = {i["code"]: i for i in body["indicators"]}
    assert len(codes) >= 12
    soil = codes["suolo_consumato_pct"]
    assert soil["unit"] == "%" and soil["higher_is_better"] is False
    assert "ISPRA" in soil["sources"][0] and soil["synthetic"] is False
    assert soil["periods_by_level"]["comune"][0] == "2006" and soil["periods_by_level"]["comune"][-1] == "2024"
    assert codes["consumo_suolo_riduzione_pct"]["params"]["soglia_pct"]["value"] == 25
    assert codes["anomalia_termica_media"]["synthetic"] is True
    en = client.get("/api/indicatori", {"lang": "en"}).json()
    assert {i["code"]: i["title"] for i in en["indicators"]}["suolo_consumato_pct"] == "Consumed soil as % of the area"


def test_values_by_level_and_period_and_their_csv(client, indicator_inputs):
    records = json.loads((DATA / "ispra" / "ispra_consumo_suolo_015_2006_2024.json").read_text())
    body = client.get("/api/indicatori/suolo_consumato_ha/valori", {"level": "comune", "period": "2024"}).json()
    assert body["period"] == "2024" and len(body["values"]) == 133
    got = {v["code"]: v["value"] for v in body["values"]}
    assert got == {c: pytest.approx(r[0]["Suolo consumato 2024 [ettari]"], abs=0.005) for c, r in records.items()}
    zone = client.get("/api/indicatori/suolo_consumato_ha/valori", {"level": "zona"}).json()
    assert zone["period"] == "2024" and len(zone["values"]) == 8
    assert sum(v["value"] for v in zone["values"]) == pytest.approx(sum(got.values()), abs=0.01)
    response = client.get("/api/indicatori/suolo_consumato_ha/valori", {"period": "2024", "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    rows = [
        r
        for r in csv.DictReader(io.StringIO(response.content.decode()))
        if r["area_code"] and not r["indicator"].startswith("#")
    ]
    assert {r["area_code"]: float(r["value"]) for r in rows} == got
    assert "ISPRA" in response.content.decode().splitlines()[-1]


def test_series_has_the_zona_and_cmm_as_references(client, indicator_inputs):
    body = client.get("/api/indicatori/suolo_consumato_pct/serie", {"area": "comune:015002"}).json()
    assert body["area"]["name"] == "Abbiategrasso"
    assert [p["period"] for p in body["area"]["points"]][:3] == ["2006", "2012", "2015"]
    assert [r["level"] for r in body["references"]] == ["zona", "cmm"]
    assert body["references"][0]["code"] == "magentino-e-abbiatense"


@pytest.mark.parametrize(
    ("url", "params", "status", "words"),
    [
        ("/api/indicatori/nessuno/valori", {}, 404, "sconosciuto"),
        ("/api/indicatori/popolazione/valori", {"level": "nil"}, 400, "nil"),
        ("/api/indicatori/popolazione/valori", {"period": "1999"}, 400, "1999"),
        ("/api/indicatori/popolazione/serie", {"area": "comune:999999"}, 404, "999999"),
        ("/api/indicatori/popolazione/serie", {"area": "regione:x"}, 400, "regione"),
    ],
)
def test_bad_requests_get_a_clear_error(client, indicator_inputs, url, params, status, words):
    response = client.get(url, params)
    assert response.status_code == status
    assert words in response.json()["error"]


def test_the_openapi_document_describes_the_indicators(client, db):
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {
        "/indicatori",
        "/indicatori/{code}/valori",
        "/indicatori/{code}/serie",
        "/indicatori/{code}/storia",
        "/indicatori/aree.geojson",
    } <= set(paths)

"""The real inputs loaded through the ETL equal the shipped files; figures computed here from the files."""

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from mappature.models import Realizzazione, Stazione, ThematicFeature

pytestmark = pytest.mark.django_db
DATA = Path(settings.BASE_DIR) / "data"


def current(code, level, area, period):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT v.value FROM indicatori_currentvalue v JOIN indicatori_indicator i ON i.id = "
            "v.indicator_id WHERE i.code = %s AND v.level = %s AND v.area_code = %s AND v.period = %s "
            "",
            [code, level, area, period],
        )
        rows = cur.fetchall()
    assert len(rows) == 1, (code, level, area, period, rows)
    return rows[0][0]


def ispra_records():
    return {
        code: recs[0]
        for code, recs in json.loads((DATA / "ispra" / "ispra_consumo_suolo_015_2006_2024.json").read_text()).items()
    }


def test_ispra_values_equal_the_original_json_for_every_comune_and_period(indicator_inputs):
    records = ispra_records()
    assert len(records) == 133
    for code, rec in records.items():
        assert current("suolo_consumato_ha", "comune", code, "2024") == pytest.approx(
            rec["Suolo consumato 2024 [ettari]"], abs=0.005
        )
        assert current("suolo_consumato_pct", "comune", code, "2024") == pytest.approx(
            rec["Suolo consumato 2024 [%]"], abs=1e-4
        )
        for key, value in rec.items():
            if key.startswith("Incremento netto "):
                period = key.split()[2]
                assert current("consumo_suolo_netto_ha", "comune", code, period) == pytest.approx(value, abs=0.005)
            if key.startswith("Ripristino "):
                period = key.split()[1]
                assert current("ripristino_suolo_ha", "comune", code, period) == pytest.approx(value, abs=0.005)
    total = sum(r["Suolo consumato 2024 [ettari]"] for r in records.values())
    assert current("suolo_consumato_ha", "cmm", "cmm", "2024") == pytest.approx(total, abs=0.01)


def test_a_hand_checked_comune_abbiategrasso(indicator_inputs):
    """Abbiategrasso (015002), read by hand in ispra_consumo_suolo_015_2006_2024.json and the ISTAT files."""
    assert current("suolo_consumato_ha", "comune", "015002", "2024") == pytest.approx(710.4)
    assert current("suolo_consumato_pct", "comune", "015002", "2024") == pytest.approx(14.88060327, abs=1e-6)
    assert current("consumo_suolo_netto_ha", "comune", "015002", "2023-2024") == pytest.approx(8.84)
    assert current("consumo_suolo_netto_ha", "comune", "015002", "2021-2022") == pytest.approx(-0.6)
    assert current("ripristino_suolo_ha", "comune", "015002", "2021-2022") == pytest.approx(0.84)
    assert current("popolazione", "comune", "015002", "2022") == 32383
    assert current("popolazione", "comune", "015002", "2023") == 32425
    assert current("popolazione", "comune", "015002", "2021") == 32473
    assert current("popolazione", "comune", "015002", "2025") == 33083
    # Reduction of the pace: (18.55 + 0.7) / 9 per year before, (0.46 + 1.7 - 0.6 + 2.18 + 8.84) / 5 after.
    before, after = (18.55 + 0.7) / 9, (0.46 + 1.7 - 0.6 + 2.18 + 8.84) / 5
    assert current("consumo_suolo_riduzione_pct", "comune", "015002", "2006-2015/2019-2024") == pytest.approx(
        (before - after) / before * 100, abs=1e-4
    )


def test_population_by_age_equals_the_istat_file(indicator_inputs):
    totals, over65, under15 = defaultdict(int), defaultdict(int), defaultdict(int)
    with open(DATA / "istat" / "popolazione_eta_sesso_cmm_2022_2023.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            key = (row["istat_code"], row["anno"])
            totals[key] += int(row["tot"])
            if int(row["eta"]) >= 65:
                over65[key] += int(row["tot"])
            if int(row["eta"]) < 15:
                under15[key] += int(row["tot"])
    assert sum(v for (c, y), v in totals.items() if y == "2022") == 3214630  # CMM, SOURCES.md
    for code, year in [("015146", "2022"), ("015146", "2023"), ("015002", "2023"), ("015182", "2022")]:
        assert current("quota_over65", "comune", code, year) == pytest.approx(
            over65[(code, year)] / totals[(code, year)] * 100, abs=1e-5
        )
        assert current("quota_under15", "comune", code, year) == pytest.approx(
            under15[(code, year)] / totals[(code, year)] * 100, abs=1e-5
        )
    cmm = sum(v for (c, y), v in totals.items() if y == "2023")
    assert current("quota_over65", "cmm", "cmm", "2023") == pytest.approx(
        sum(v for (c, y), v in over65.items() if y == "2023") / cmm * 100, abs=1e-5
    )


def test_pnrr_interventions_are_added_by_cup_and_never_duplicated(indicator_inputs, load_source):
    with open(DATA / "realizzazioni_extended.csv", newline="") as fh:
        programme_cups = {c.strip() for r in csv.DictReader(fh) for c in (r["cup"] or "").split(";") if c.strip()}
    with open(DATA / "pnrr" / "pnrr_rigenerazione_M5C2I2_cmm_2023-03-01.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    new_cups = {r["CUP"] for r in rows} - programme_cups
    pnrr = Realizzazione.objects.filter(source_id="realizzazioni_pnrr")
    assert set(pnrr.values_list("cup", flat=True)) == new_cups
    assert len(new_cups) == 142
    assert all(r.source_date == "2023-03-01" and "1/3/2023" in r.attribution for r in pnrr)
    assert Realizzazione.objects.filter(source_id="realizzazioni").count() == 191
    result = indicator_inputs["realizzazioni_pnrr"]
    assert result.rejected == len(rows) - 142
    assert any("già presente in un'altra sorgente" in reason for _row, reason in result.rejects)
    # Reloading the interventions' own file deletes none of the PNRR rows (each source has its scope).
    load_source("realizzazioni", force=True)
    assert pnrr.count() == 142
    # The one validated project among them brings its title and PNRR amount.
    with open(DATA / "pnrr" / "pnrr_dati_validati_progetti_cmm_2023-02.csv", newline="") as fh:
        validated = {r["CUP"]: r for r in csv.DictReader(fh) if r["CUP"] in new_cups}
    for cup, row in validated.items():
        got = Realizzazione.objects.get(cup=cup)
        assert float(got.amount_eur) == pytest.approx(float(row["Finanziamento PNRR"]))
        assert got.title == row["Titolo progetto"]


def test_pnrr_funding_per_comune_equals_the_summary_file(indicator_inputs):
    with open(DATA / "pnrr" / "pnrr_sintesi_per_comune_cmm.csv", newline="") as fh:
        rows = {r["COD_ISTAT_COMUNE"]: float(r["finanziamento_pnrr_eur"] or 0) for r in csv.DictReader(fh)}
    for code in ("015146", "015002", "015182"):
        assert current("pnrr_finanziamento_eur", "comune", code, "2023-03-01") == pytest.approx(rows[code], abs=0.01)
    assert current("pnrr_finanziamento_eur", "cmm", "cmm", "2023-03-01") == pytest.approx(sum(rows.values()), abs=1)


def test_metro_stations_join_the_stations_in_the_comune_they_lie_in(indicator_inputs):
    features = json.loads((DATA / "atm" / "tpl_metrofermate.geojson").read_text())["features"]
    metro = Stazione.objects.filter(network="metro")
    assert metro.count() == len(features) == 130
    assert Stazione.objects.filter(network="rfi").count() == 43
    with connection.cursor() as cur:  # each station inside the boundary of the comune it was given
        cur.execute(
            "SELECT count(*) FROM mappature_stazione s JOIN mappature_comune c "
            "ON c.istat_code = s.istat_code WHERE s.network = 'metro' AND ST_Intersects(c.geom, s.geom)"
        )
        assert cur.fetchone()[0] == 130
    # Stations well inside other comuni than Milano (Sesto San Giovanni, Rho, Gessate, Assago).
    for name, istat in [
        ("SESTO 1 MAGGIO FS", "015209"),
        ("SESTO RONDO", "015209"),
        ("RHO FIERAMILANO", "015182"),
        ("GESSATE", "015106"),
        ("ASSAGO MILANOFIORI FORUM", "015011"),
        ("DUOMO M1", "015146"),
    ]:
        assert metro.get(name=name).istat_code == istat, name
    assert (
        current("stazioni_n", "comune", "015146", current_period("stazioni_n"))
        == Stazione.objects.filter(istat_code="015146").count()
    )


def current_period(code):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT DISTINCT period FROM indicatori_currentvalue v JOIN indicatori_indicator i "
            "ON i.id = v.indicator_id WHERE i.code = %s",
            [code],
        )
        return cur.fetchone()[0]


def test_milano_nil_are_a_reference_layer_and_an_indicator_level(indicator_inputs):
    features = json.loads((DATA / "milano" / "ds964_nil_wm.geojson").read_text())["features"]
    nil = ThematicFeature.objects.filter(layer="milano_nil")
    assert nil.count() == len(features) == 88
    assert set(nil.values_list("name", flat=True)) == {f["properties"]["NIL"] for f in features}
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), sum(value) FROM indicatori_currentvalue v JOIN indicatori_indicator i "
            "ON i.id = v.indicator_id WHERE i.code = 'stazioni_n' AND v.level = 'nil'"
        )
        n, stations = cur.fetchone()
    assert n == 88
    assert 0 < stations <= Stazione.objects.filter(istat_code="015146").count() + 2  # a station on a NIL border

"""Indicators over time: a new input version adds values and keeps the old ones; only dependants run."""

import csv
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from indicatori.models import IndicatorRun, IndicatorValue

pytestmark = pytest.mark.django_db
DATA = Path(settings.BASE_DIR) / "data"
PERIOD = "2023-2024"


def values_of(code, area):
    return list(
        IndicatorValue.objects.filter(indicator__code=code, level="comune", area_code=area, period=PERIOD)
        .order_by("run_id")
        .values_list("value", "run__current", "run__input_versions")
    )


def test_a_new_version_of_an_input_recomputes_its_dependants_and_keeps_the_old_values(
    indicator_inputs, load_source, tmp_path
):
    original = DATA / "ispra" / "ispra_consumo_suolo_cmm_2006_2024_wide.csv"
    changed = tmp_path / "ispra_v2.csv"
    with open(original, newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["pro_com"] == "015002":
            row["net_2023_2024"] = "9.5"  # ISPRA revises Abbiategrasso's last increment
    with open(changed, "w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    runs_before = {
        code: IndicatorRun.objects.filter(indicator__code=code).count()
        for code in ("consumo_suolo_netto_ha", "popolazione", "suolo_consumato_ha")
    }

    result = load_source("ispra_consumo_suolo", location=str(changed))
    assert result.version == 2

    history = values_of("consumo_suolo_netto_ha", "015002")
    assert [(v, c) for v, c, _ in history] == [(pytest.approx(8.84), False), (pytest.approx(9.5), True)]
    assert history[0][2]["inputs"]["ispra_consumo_suolo"] == 1
    assert history[1][2]["inputs"]["ispra_consumo_suolo"] == 2
    # The zona and CMM sums moved by the same 0.66 ha; an untouched comune kept its single current value.
    with connection.cursor() as cur:
        cur.execute(
            "SELECT value FROM indicatori_indicatorvalue v JOIN indicatori_indicator i ON i.id = "
            "v.indicator_id WHERE i.code = 'consumo_suolo_netto_ha' AND level = 'cmm' AND period = %s "
            "ORDER BY run_id",
            [PERIOD],
        )
        old_cmm, new_cmm = (r[0] for r in cur.fetchall())
    assert new_cmm - old_cmm == pytest.approx(9.5 - 8.84, abs=1e-6)
    # Only the indicators that read the source ran again.
    assert (
        IndicatorRun.objects.filter(indicator__code="consumo_suolo_netto_ha").count()
        == runs_before["consumo_suolo_netto_ha"] + 1
    )
    assert IndicatorRun.objects.filter(indicator__code="popolazione").count() == runs_before["popolazione"]
    assert (
        IndicatorRun.objects.filter(indicator__code="suolo_consumato_ha").count() == runs_before["suolo_consumato_ha"]
    )

    # The API's history shows both, with the versions they were computed from.
    body = (
        Client(HTTP_HOST="127.0.0.1")
        .get("/api/indicatori/consumo_suolo_netto_ha/storia", {"area": "comune:015002"})
        .json()
    )
    mine = [v for v in body["values"] if v["period"] == PERIOD]
    assert [(v["value"], v["current"], v["input_versions"]["inputs"]["ispra_consumo_suolo"]) for v in mine] == [
        (pytest.approx(8.84), False, 1),
        (pytest.approx(9.5), True, 2),
    ]

    # Loading the original again is a third version: the current value is ISPRA's again, nothing is lost.
    load_source("ispra_consumo_suolo", location=str(shutil.copy(original, tmp_path / "again.csv")))
    assert [(v, c) for v, c, _ in values_of("consumo_suolo_netto_ha", "015002")] == [
        (pytest.approx(8.84), False),
        (pytest.approx(9.5), False),
        (pytest.approx(8.84), True),
    ]


def test_an_unchanged_input_computes_nothing(indicator_inputs):
    from indicatori.compute import refresh_all

    assert refresh_all() == []

"""Funding figures and intervention filters on the real Realizzazioni, checked against the shipped files.

Expected figures are computed here from data/realizzazioni*.csv (the file etl/sources/realizzazioni.yaml
loads), never from the code under test, so they keep holding when rows are added to the data.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal

import pytest

from tests.shipped import expected_by_source, zona_comuni_names
from tests.tiles import features as tile_features
from tests.tiles import tile_of

pytestmark = pytest.mark.django_db


def _zona_code(name: str) -> str:
    from mappature.models import ZonaOmogenea

    return ZonaOmogenea.objects.get(name=name).code


@pytest.mark.parametrize("zona", [None, "Nord Milano", "Alto Milanese", "Sud Est"])
def test_funding_by_source_adds_up_to_the_shipped_data(client, realizzazioni, zona):
    rows = realizzazioni
    query = ""
    if zona:
        names = zona_comuni_names()[zona]
        rows = [r for r in rows if set(r["names"]) & names]
        query = f"?zona={_zona_code(zona)}"
    s = client.get("/api/riepilogo" + query).json()["summary"]
    total = sum((r["amount"] for r in rows if r["amount"] is not None), Decimal(0))
    assert s["n_interventions"] == len(rows) > 0
    assert s["n_without_amount"] == sum(r["amount"] is None for r in rows)
    assert Decimal(str(s["amount_eur"])) == total
    expected = expected_by_source(rows)
    shown = {row["source"]: row for row in s["by_source"]}
    assert set(shown) == set(expected)
    for source, figures in expected.items():
        assert shown[source]["n"] == figures["n"], source
        assert shown[source]["n_without_amount"] == figures["n_without_amount"], source
        assert Decimal(str(shown[source]["amount_eur"])) == figures["amount_eur"], source
    # The totals add up: no amount is counted twice.
    assert sum(Decimal(str(r["amount_eur"])) for r in s["by_source"]) == total


def test_a_cofunder_gets_its_cofunding_not_the_whole_amount(client, realizzazioni):
    """«cofinanziamento Comune di Solaro»: 257.000 € in the data, not the 3,7 M€ of the three projects."""
    rows = [r for r in realizzazioni if "cofinanziamento Comune di Solaro" in r["sources"]]
    expected = sum(r["cofunding"] for r in rows)
    assert expected == Decimal("257000")
    s = client.get("/api/riepilogo").json()["summary"]
    solaro = next(r for r in s["by_source"] if r["source"] == "cofinanziamento Comune di Solaro")
    assert Decimal(str(solaro["amount_eur"])) == expected


def test_multi_source_rows_list_their_combinations(client, realizzazioni):
    s = client.get("/api/riepilogo?lang=en").json()["summary"]
    multi = next(r for r in s["by_source"] if r["kind"] == "multiple")
    assert multi["source"] == "several sources"
    combos = {
        " + ".join(r["sources"])
        for r in realizzazioni
        if len(r["sources"]) > 1
        and not (
            len(r["sources"]) == 2 and r["amount"] is not None and r["cofunding"] and r["cofunding"] <= r["amount"]
        )
    }
    assert set(multi["combinations"]) == combos


def _pick(rows, key):
    counts = defaultdict(int)
    for r in rows:
        for v in r[key]:
            counts[v] += 1
    return max(counts, key=lambda v: (counts[v], v))


@pytest.mark.parametrize(("param", "key"), [("funding_source", "sources"), ("domain", "domain_list")])
def test_source_and_domain_filters_agree_on_features_table_csv_tiles_and_summary(client, realizzazioni, param, key):
    """These two filters answered HTTP 500: now every view of the selection says the same."""
    value = _pick(realizzazioni, key)
    rows = [r for r in realizzazioni if value in r[key]]
    codes = sorted(r["id"] for r in rows)
    base = f"/api/strati/realizzazioni/elementi?{param}={value}"
    features = client.get(base + "&limit=1000")
    assert features.status_code == 200, features.content[:300]
    assert sorted(f["properties"]["code"] for f in features.json()["features"]) == codes
    table = client.get(base + "&geometry=0&limit=5").json()
    assert table["numberMatched"] == len(rows)
    csv_response = client.get(base + "&format=csv")
    assert csv_response.status_code == 200
    lines = list(csv.reader(b"".join(csv_response.streaming_content).decode().splitlines()))
    assert sorted(line[0] for line in lines[1:]) == codes
    summary = client.get(f"/api/riepilogo?{param}={value}").json()["summary"]
    assert summary["n_interventions"] == len(rows)
    # A tile over the area of the selection holds exactly the selected interventions that fall in it.
    z = 8
    x, y = tile_of(9.19, 45.46, z)
    tile = client.get(f"/tiles/realizzazioni/{z}/{x}/{y}.pbf?{param}={value}")
    assert tile.status_code == 200
    drawn = {f["properties"]["code"] for f in tile_features(tile.content, "realizzazioni")}
    assert drawn and drawn <= set(codes)


def test_amount_filter_accepts_italian_thousands(client, realizzazioni):
    rows = [r for r in realizzazioni if r["amount"] is not None and r["amount"] >= 1_000_000]
    for typed in ("1.000.000", "1000000", "1.000.000,00", "1 000 000 €"):
        body = client.get(
            "/api/strati/realizzazioni/elementi", {"amount_min": typed, "geometry": "0", "limit": 1000}
        ).json()
        assert body["numberMatched"] == len(rows), typed


def test_csv_never_answers_200_with_only_a_header_when_the_query_fails(client, realizzazioni, monkeypatch):
    from mappature import queries_features

    def broken(source, flt, bbox, tq=None):
        return "COPY (SELECT no_such_column FROM map_realizzazioni) TO STDOUT WITH (FORMAT csv)", []

    monkeypatch.setattr(queries_features, "csv_copy_sql", broken)
    response = client.get("/api/strati/realizzazioni/elementi?format=csv")
    assert response.status_code == 500
    assert "errore" in response.json()["error"]


def test_nearby_is_symmetric(client, map_data):
    """An intervention near an opportunity implies the opportunity lists the intervention."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT id FROM mappature_realizzazione ORDER BY code LIMIT 40")
        ids = [row[0] for row in cur.fetchall()]
    checked = 0
    for pk in ids:
        near = client.get(f"/api/realizzazioni/{pk}/vicinanze?distance=1000").json()
        for opp in near["opportunities"][:5]:
            back = client.get(f"/api/opportunita/{opp['kind']}/{opp['id']}/vicinanze?distance=1000").json()
            assert pk in {i["id"] for i in back["interventions"]}, (pk, opp)
            checked += 1
    assert checked > 0


def test_table_sorts_filters_per_column_and_finds_one_feature(client, realizzazioni):
    """The attribute table: sort by any column, filter a column by text (accents aside), one row by id."""
    base = "/api/strati/realizzazioni/elementi?geometry=0&limit=1000"
    by_amount = client.get(base + "&sort=amount_eur&dir=desc").json()["features"]
    amounts = [f["properties"]["amount_eur"] for f in by_amount]
    known = [a for a in amounts if a is not None]
    assert known == sorted(known, reverse=True) and amounts[: len(known)] == known  # NULLs last
    expected = sorted(r["id"] for r in realizzazioni if "mobilita" in r["domains"].replace("à", "a").lower())
    found = client.get(base + "&col.domains=MOBILITA").json()
    assert sorted(f["properties"]["code"] for f in found["features"]) == expected and expected
    csv_rows = b"".join(client.get(base + "&col.domains=mobilità&format=csv").streaming_content).decode()
    assert len(csv_rows.strip().splitlines()) == len(expected) + 1
    one = client.get(f"/api/strati/realizzazioni/elementi?id={by_amount[0]['id']}").json()
    assert [f["id"] for f in one["features"]] == [by_amount[0]["id"]] and one["features"][0]["geometry"]
    assert client.get(base + "&sort=password").status_code == 400
    assert client.get(base + "&col.nope=1").status_code == 400

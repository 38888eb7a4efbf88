"""The layers added with the indicators (NIL of Milano, indicators by comune and zone, stations with their
network and lines) behave on /ows and /ogcapi/ like the others: counts equal the database, numbers are
typed and sort as numbers, codes keep their leading zeros. Real shipped files, loaded by the real ETL."""

import json

import pytest
from django.core.management import call_command
from lxml import etree

from etl import pipeline
from etl.declarations import get_source
from layers import declarations
from layers.sync import sync
from remix import db

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("new_layers")]
SOURCES = ("comuni", "istat_popolazione_totale", "stazioni", "stazioni_metro", "milano_nil")
SLUGS = {
    "milano_nil": "thematic_milano_nil",
    "indicatori_comuni": "indicatori_comuni",
    "indicatori_zone": "indicatori_zone",
    "stazioni": "map_stazioni",
}
XS = "{http://www.w3.org/2001/XMLSchema}element"


@pytest.fixture(scope="module")
def new_layers(django_db_setup, django_db_blocker):
    from django.db import connection

    from tests.ogc.conftest import _close_mapserver

    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith("test_"):
            pytest.fail("needs the test database")
        call_command("flush", interactive=False, verbosity=0)
        for source_id in SOURCES:
            pipeline.run(get_source(source_id), run_by="test", force=True)
        sync([d for d in declarations.load_all() if d.slug in SLUGS])
        yield
        _close_mapserver()
        call_command("flush", interactive=False, verbosity=0)


def _wfs(client, **params):
    answer = client.get(
        "/ows",
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "OUTPUTFORMAT": "application/json", **params},
    )
    assert answer.status_code == 200, answer.content[:300]
    return json.loads(answer.content)["features"]


def _items(client, slug, **params):
    answer = client.get(f"/ogcapi/collections/{slug}/items", {"f": "json", "limit": 1000, **params})
    assert answer.status_code == 200, answer.content[:300]
    return json.loads(answer.content)


@pytest.mark.parametrize("slug", SLUGS)
def test_counts_equal_the_database_on_wfs_and_ogcapi(client, sql, slug):
    expected = sql(db.compose("SELECT count(*) FROM {t}", t=SLUGS[slug]))[0][0]
    assert expected > 0
    assert len(_wfs(client, TYPENAMES=slug)) == expected
    page = _items(client, slug)
    assert page["numberMatched"] == len(page["features"]) == expected


def test_nil_numbers_are_integers_and_in_milano(client, sql):
    """Each NIL has its number (an integer in the schema, GeoJSON and OGC API) and Milano's code."""
    expected = {
        r[0]: r[1] for r in sql("SELECT name, feature_key FROM mappature_thematicfeature WHERE layer = 'milano_nil'")
    }
    for features in (_wfs(client, TYPENAMES="milano_nil"), _items(client, "milano_nil")["features"]):
        got = {f["properties"]["name"]: f["properties"]["id_nil"] for f in features}
        assert got == {name: int(key) for name, key in expected.items()}
        assert {f["properties"]["istat_code"] for f in features} == {"015146"}
    assert len(_items(client, "milano_nil", istat_code="015146")["features"]) == len(expected)


def test_indicator_columns_are_numbers_and_sort_as_numbers(client, sql):
    """Population is a number in DescribeFeatureType, WFS GeoJSON and OGC API; SORTBY orders by value."""
    schema = etree.fromstring(
        client.get(
            "/ows",
            {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "DescribeFeatureType", "TYPENAMES": "indicatori_comuni"},
        ).content
    )
    types = {el.get("name"): el.get("type") for el in schema.iter(XS)}
    assert types["popolazione"] in ("double", "decimal", "integer", "long")
    assert types["istat_code"] == types["popolazione_periodo"] == "string"
    expected = [
        r[0]
        for r in sql(
            "SELECT name FROM indicatori_comuni WHERE popolazione IS NOT NULL ORDER BY popolazione DESC, id LIMIT 5"
        )
    ]
    assert expected[0] == "Milano"
    first = _wfs(client, TYPENAMES="indicatori_comuni", SORTBY="popolazione DESC", COUNT=5)
    assert [f["properties"]["name"] for f in first] == expected
    assert all(isinstance(f["properties"]["popolazione"], int | float) for f in first)
    props = _items(client, "indicatori_comuni", istat_code="015146")["features"][0]["properties"]
    population = sql("SELECT popolazione FROM indicatori_comuni WHERE istat_code = '015146'")[0][0]
    assert isinstance(props["popolazione"], int | float) and props["popolazione"] == float(population)


def test_stations_carry_network_lines_and_comune(client, sql):
    """Metro and railway stations with their network and lines; a comune filter equals SQL."""
    rows = {r[0]: r[1:] for r in sql("SELECT code, network, lines, istat_code FROM map_stazioni")}
    features = _wfs(client, TYPENAMES="stazioni")
    assert {
        f["properties"]["code"]: (
            f["properties"]["network"],
            f["properties"]["lines"] or "",
            f["properties"]["istat_code"],
        )
        for f in features
    } == {code: (net, lines or "", istat) for code, (net, lines, istat) in rows.items()}
    milano = sum(1 for r in rows.values() if r[2] == "015146")
    assert len(_items(client, "stazioni", istat_code="015146")["features"]) == milano > 100


@pytest.mark.parametrize("fmt", ["text/html", "application/json", "application/vnd.ogc.gml", "text/plain"])
def test_identify_an_indicator_layer_labels_its_numbers(client, sql, fmt):
    """Identify on Milano in the indicators layer: the ISTAT code with its leading zero and the labels."""
    x, y = sql(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) AS p FROM indicatori_comuni"
        " WHERE istat_code = '015146') s"
    )[0]
    answer = client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetFeatureInfo",
            "LAYERS": "indicatori_comuni",
            "QUERY_LAYERS": "indicatori_comuni",
            "STYLES": "",
            "CRS": "EPSG:32632",
            "BBOX": f"{x - 50},{y - 50},{x + 50},{y + 50}",
            "WIDTH": 101,
            "HEIGHT": 101,
            "I": 50,
            "J": 50,
            "INFO_FORMAT": fmt,
        },
    )
    assert answer.status_code == 200
    text = answer.content.decode()
    assert "015146" in text and "Milano" in text
    assert "Popolazione residente" in text  # the declared label, in every format
    if fmt == "application/json":
        feature = json.loads(text)["features"][0]
        assert feature["properties"]["istat_code"] == "015146"
        assert feature["labels"]["popolazione"] == "Popolazione residente"

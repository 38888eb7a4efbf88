"""What makes a GIS professional distrust a service: crashes, wrong sorting, leaked columns, lost zeros.

Expected answers come from the database and from the shipped layer declarations, never from the code
under test.
"""

import itertools
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
import yaml
from lxml import etree

from layers.models import Layer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ogc_data")]
ROOT = Path(__file__).resolve().parents[2]
DECLARATIONS = ROOT / "layers" / "declarations"
LAYER = "ambiti_trasformazione"
INTERNAL = ("atto_id", "synthetic", "zona_source", "feature_id")


def _declared(slug: str) -> list[dict]:
    return yaml.safe_load((DECLARATIONS / f"{slug}.yaml").read_text())["attributes"]


@pytest.fixture
def declared_layers(db):
    """The fixture layers with the attributes their shipped declarations publish (labels included)."""
    at = Layer.objects.get(slug=LAYER)
    at.attributes = _declared("pgt_ambiti_trasformazione")
    at.save()
    comuni = Layer.objects.get(slug="comuni")
    comuni.attributes = _declared("comuni")
    comuni.save()
    return at, comuni


def _xml_root(body: bytes):
    return etree.fromstring(body)


def _is_exception(body: bytes) -> bool:
    return etree.QName(_xml_root(body)).localname in ("ExceptionReport", "ServiceExceptionReport")


# --- crashes --------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0.0", "1.1.0", "1.0.0"])
@pytest.mark.parametrize("fmt", ["application/json", "geojson", "GML2", "text/xml; subtype=gml/3.2.1"])
def test_hits_with_any_output_format_answer_the_count(client, sql, version, fmt):
    """RESULTTYPE=hits with GeoJSON used to kill the worker (SIGSEGV in MapServer): now a count, in GML."""
    expected = sql("SELECT count(*) FROM pgt_ambiti_trasformazione")[0][0]
    answer = client.get(
        "/ows",
        {
            "SERVICE": "WFS",
            "VERSION": version,
            "REQUEST": "GetFeature",
            "TYPENAMES": LAYER,
            "TYPENAME": LAYER,
            "RESULTTYPE": "hits",
            "OUTPUTFORMAT": fmt,
        },
    )
    root = _xml_root(answer.content)
    count = root.get("numberMatched") or root.get("numberOfFeatures")
    if version == "1.0.0":  # WFS 1.0 has no hits: MapServer answers the features, never crashes
        assert etree.QName(root).localname == "FeatureCollection"
    else:
        assert int(count) == expected


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def gunicorn_server(ogc_data, django_db_blocker):
    """The app as production serves it (gunicorn, one worker) on the test database."""
    from layers.exports.jobs import _database_url

    with django_db_blocker.unblock():
        env = {**os.environ, "DATABASE_URL": _database_url()}
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "remix.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=1).read()
            break
        except OSError:
            time.sleep(0.2)
    yield proc, base
    proc.terminate()
    proc.wait(timeout=30)
    with django_db_blocker.unblock():
        from layers.ogc import service

        service.close_connections()


def _worker_pids(master: int) -> set[int]:
    children = Path(f"/proc/{master}/task/{master}/children")
    return set(map(int, children.read_text().split())) if children.exists() else set()


def _fetch(base: str, query: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(f"{base}/ows?{query}", timeout=60) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), err.read()


def _valid(status: int, content_type: str, body: bytes) -> bool:
    """A usable answer (image, JSON, XML document) or an OGC exception; never an HTML error page."""
    if status >= 500:
        return False
    if content_type.startswith("image/"):
        return body[:4] == b"\x89PNG" or body[:2] == b"\xff\xd8"
    if "json" in content_type:
        json.loads(body)
        return status == 200
    if content_type.startswith("text/html"):
        return status == 200 and b"<table" in body or b"<body>" in body  # a feature-info page
    if content_type.startswith("text/plain"):
        return status == 200 and b"GetFeatureInfo" in body
    _xml_root(body)  # well-formed XML: capabilities, features, schema or exception
    return status == 200 or _is_exception(body)


def _fuzz_queries() -> list[str]:
    wfs = [
        {
            "SERVICE": "WFS",
            "VERSION": v,
            "REQUEST": "GetFeature",
            "TYPENAMES": t,
            "TYPENAME": t,
            "OUTPUTFORMAT": f,
            "RESULTTYPE": r,
            "COUNT": "3",
            "MAXFEATURES": "3",
        }
        for v, f, r, t in itertools.product(
            ["2.0.0", "1.1.0", "1.0.0", "9.9", ""],
            ["application/json", "geojson", "GML3", "bogus", ""],
            ["hits", "results", "", "maybe"],
            [LAYER, f"ms:{LAYER}", "nonexistent"],
        )
    ]
    base = {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": LAYER}
    malformed_wfs = [
        {**base, **extra}
        for extra in (
            {"COUNT": "-1"},
            {"COUNT": "abc"},
            {"STARTINDEX": "-5"},
            {"BBOX": "1,2"},
            {"BBOX": "a,b,c,d"},
            {"FILTER": "<fes:Filter"},
            {"FILTER": "<x>" * 500},
            {"SORTBY": "nope DESC"},
            {"SORTBY": "sup_terr SIDEWAYS"},
            {"SORTBY": "sup_terr DESC", "RESULTTYPE": "hits", "OUTPUTFORMAT": "application/json"},
            {"SRSNAME": "EPSG:99999"},
            {"RESOURCEID": "x.y.z"},
            {"PROPERTYNAME": "geom,nope"},
            {"TYPENAMES": ""},
            {"REQUEST": "Transaction"},
            {"REQUEST": "GetPropertyValue", "VALUEREFERENCE": "nome_amb"},
            {"REQUEST": "DescribeFeatureType", "OUTPUTFORMAT": "application/json"},
            {"REQUEST": "ListStoredQueries"},
            {"REQUEST": "GetFeature", "STOREDQUERY_ID": "urn:ogc:def:query:OGC-WFS::GetFeatureById", "ID": "x"},
        )
    ]
    wms = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetMap",
        "LAYERS": LAYER,
        "STYLES": "",
        "CRS": "EPSG:32632",
        "BBOX": "500000,5020000,530000,5050000",
        "WIDTH": "64",
        "HEIGHT": "64",
        "FORMAT": "image/png",
    }
    malformed_wms = [
        {**wms, **extra}
        for extra in (
            {},
            {"WIDTH": "100000"},
            {"HEIGHT": "0"},
            {"CRS": "EPSG:0"},
            {"LAYERS": ""},
            {"FORMAT": "bogus/x"},
            {"BBOX": "1,2,3"},
            {"VERSION": "1.1.1", "SRS": "EPSG:32632"},
            {"LAYERS": "remix"},
            {"STYLES": "nope"},
            {
                "REQUEST": "GetFeatureInfo",
                "QUERY_LAYERS": LAYER,
                "I": "-1",
                "J": "5",
                "INFO_FORMAT": "application/json",
            },
            {"REQUEST": "GetFeatureInfo", "QUERY_LAYERS": LAYER, "I": "3", "J": "3", "INFO_FORMAT": "text/plain"},
            {"REQUEST": "GetLegendGraphic", "LAYER": "", "SLD_VERSION": "1.1.0"},
            {"REQUEST": "GetCapabilities"},
            {"REQUEST": "DescribeLayer"},
            {"REQUEST": "GetStyles"},
        )
    ]
    odd = [
        "",
        "SERVICE=",
        "SERVICE=WCS&REQUEST=GetCapabilities",
        "SERVICE=SOS&REQUEST=GetCapabilities",
        "REQUEST=GetCapabilities",
        "SERVICE=WMS",
        "SERVICE=WFS&REQUEST=Nope",
        "%ff%fe=%00",
        "&&&=&",
        "SERVICE=WMS&REQUEST=GetMap&" + "A=1&" * 300,
    ]
    return [urlencode(q) for q in wfs + malformed_wfs + malformed_wms] + odd


def test_fuzzed_requests_never_kill_the_server(gunicorn_server):
    """Combinations of versions, formats, result types and malformed parameters: every answer is a valid
    response or an OGC exception, and the same worker process is still there at the end."""
    proc, base = gunicorn_server
    _fetch(base, "SERVICE=WMS&REQUEST=GetCapabilities")
    workers = _worker_pids(proc.pid)
    bad = []
    for query in _fuzz_queries():
        try:
            status, content_type, body = _fetch(base, query)
        except (ConnectionError, urllib.error.URLError, OSError) as err:
            bad.append((query, f"no answer: {err}"))
            continue
        try:
            if not _valid(status, content_type, body):
                bad.append((query, status, content_type, body[:200]))
        except (ValueError, etree.XMLSyntaxError) as err:
            bad.append((query, status, content_type, f"unreadable: {err}", body[:200]))
    assert not bad, bad[:5]
    assert proc.poll() is None
    assert _worker_pids(proc.pid) == workers, "a worker died and was replaced"


# --- SERVICE, online resource, cache -----------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "",
        "REQUEST=GetCapabilities",
        "SERVICE=FOO&REQUEST=GetCapabilities",
        "SERVICE=WCS&REQUEST=GetCapabilities",
        "SERVICE=WMS",
    ],
)
def test_missing_or_unknown_service_is_an_ogc_exception(client, ows_server, query):
    """No HTML 500: an OGC exception report, never cached, from Django and from the anonymous fast path."""
    answer = client.get(f"/ows?{query}")
    assert answer.status_code == 400
    assert _is_exception(answer.content)
    assert answer["Cache-Control"] == "no-store"
    status, _type, body = _fetch(ows_server, query)
    assert status == 400 and _is_exception(body)


def test_ogc_errors_are_never_cached_publicly(ows_server):
    """A MapServer exception (unknown layer) is sent with no-store by the fast path."""
    query = urlencode(
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": "nope",
            "STYLES": "",
            "CRS": "EPSG:32632",
            "BBOX": "0,0,1,1",
            "WIDTH": 8,
            "HEIGHT": 8,
            "FORMAT": "image/png",
        }
    )
    request = urllib.request.Request(f"{ows_server}/ows?{query}")
    try:
        with urllib.request.urlopen(request) as r:
            headers, body = r.headers, r.read()
    except urllib.error.HTTPError as err:
        headers, body = err.headers, err.read()
    assert _is_exception(body)
    assert headers["Cache-Control"] == "no-store"


def test_online_resource_is_clean_for_owslib(ows_server):
    """The advertised operation URLs are the service URL itself: OWSLib appends its parameters and draws."""
    from owslib.wfs import WebFeatureService
    from owslib.wms import WebMapService

    wms = WebMapService(f"{ows_server}/ows", version="1.3.0")
    for op in ("GetMap", "GetFeatureInfo"):
        assert wms.getOperationByName(op).methods[0]["url"] == f"{ows_server}/ows?"
    image = wms.getmap(
        layers=[LAYER],
        styles=[""],
        srs="EPSG:32632",
        bbox=(500000, 5020000, 530000, 5050000),
        size=(64, 64),
        format="image/png",
    )
    assert image.read()[:4] == b"\x89PNG"
    wfs = WebFeatureService(f"{ows_server}/ows", version="2.0.0")
    assert wfs.getOperationByName("GetFeature").methods[0]["url"] == f"{ows_server}/ows?"


# --- numbers -------------------------------------------------------------------------------------------


def _features(client, **params):
    query = {
        "SERVICE": "WFS",
        "VERSION": "2.0.0",
        "REQUEST": "GetFeature",
        "OUTPUTFORMAT": "application/json",
        **params,
    }
    answer = client.get("/ows", query)
    assert answer.status_code == 200, answer.content[:300]
    return json.loads(answer.content)["features"]


@pytest.mark.parametrize(
    ("version", "sortby", "descending"),
    [
        ("2.0.0", "population DESC", True),
        ("2.0.0", "population ASC", False),
        ("1.1.0", "population D", True),
    ],
)
def test_numeric_fields_sort_numerically(client, sql, declared_layers, version, sortby, descending):
    """SORTBY=population DESC puts Milano first; pages of a sorted request follow the numeric order."""
    order = "DESC" if descending else "ASC"
    expected = [r[0] for r in sql(f"SELECT name FROM mappature_comune ORDER BY population {order}, id LIMIT 5")]
    first = _features(
        client, VERSION=version, TYPENAMES="comuni", TYPENAME="comuni", SORTBY=sortby, COUNT=5, MAXFEATURES=5
    )
    assert [f["properties"]["name"] for f in first] == expected
    if descending:
        assert expected[0] == "Milano"
    page = _features(client, TYPENAMES="comuni", SORTBY=sortby, COUNT=2, STARTINDEX=2)
    assert [f["properties"]["name"] for f in page] == expected[2:4]
    if version == "2.0.0":  # the GML answer's next link keeps the order
        gml = _xml_root(
            client.get(
                "/ows",
                {
                    "SERVICE": "WFS",
                    "VERSION": "2.0.0",
                    "REQUEST": "GetFeature",
                    "TYPENAMES": "comuni",
                    "SORTBY": sortby,
                    "COUNT": 2,
                },
            ).content
        )
        nxt = gml.get("next").replace("http://testserver", "")
        page = json.loads(client.get(nxt + "&OUTPUTFORMAT=application/json").content)["features"]
        assert [f["properties"]["name"] for f in page] == expected[2:4]


def test_numbers_are_typed_in_describefeaturetype_and_geojson(client, declared_layers):
    """Integer and decimal attributes are numbers in the schema and in GeoJSON; codes stay strings."""
    schema = _xml_root(
        client.get(
            "/ows",
            {
                "SERVICE": "WFS",
                "VERSION": "2.0.0",
                "REQUEST": "DescribeFeatureType",
                "TYPENAMES": "comuni,ambiti_trasformazione",
            },
        ).content
    )
    types = {el.get("name"): el.get("type") for el in schema.iter("{http://www.w3.org/2001/XMLSchema}element")}
    assert types["population"] in ("integer", "int", "long")
    assert types["sup_terr"] in ("double", "decimal")
    assert types["istat_code"] == "string"
    props = _features(client, TYPENAMES="comuni", COUNT=1)[0]["properties"]
    assert isinstance(props["population"], int) and isinstance(props["istat_code"], str)
    props = _features(client, TYPENAMES=LAYER, COUNT=1)[0]["properties"]
    assert isinstance(props["sup_terr"], float | int)


def test_geojson_features_carry_their_id(client, sql):
    """Every GeoJSON feature has the database id as its "id" (not as a property)."""
    expected = {r[0]: r[1] for r in sql("SELECT id, istat_code FROM mappature_comune")}
    features = _features(client, TYPENAMES="comuni")
    assert len(features) == len(expected)
    for feature in features:
        assert expected[feature["id"]] == feature["properties"]["istat_code"]
        assert "id" not in feature["properties"]


# --- identify ------------------------------------------------------------------------------------------


def _info(client, sql, fmt, layer=LAYER, key="015146-AT05", lang=None):
    minx, miny, maxx, maxy = sql(
        "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom)"
        " FROM pgt_ambiti_trasformazione WHERE feature_key = %s",
        [key],
    )[0]
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetFeatureInfo",
        "LAYERS": layer,
        "QUERY_LAYERS": layer,
        "STYLES": "",
        "CRS": "EPSG:32632",
        "BBOX": f"{minx - 100},{miny - 100},{maxx + 100},{maxy + 100}",
        "WIDTH": 100,
        "HEIGHT": 100,
        "I": 50,
        "J": 50,
        "INFO_FORMAT": fmt,
        "FEATURE_COUNT": 10,
    }
    if lang:
        params["LANGUAGE"] = lang
    answer = client.get("/ows", params)
    assert answer.status_code == 200
    return answer.content.decode()


@pytest.mark.parametrize("fmt", ["text/html", "application/json", "application/vnd.ogc.gml", "text/plain"])
def test_identify_returns_the_public_attributes_only(client, sql, declared_layers, fmt):
    """Every format: the declared attributes, the ISTAT code with its leading zero, no internal column."""
    text = _info(client, sql, fmt)
    assert "015146" in text
    for internal in INTERNAL:
        assert internal not in text
    assert "feature_key" not in text  # not declared by pgt_ambiti_trasformazione
    if fmt == "application/json":
        props = json.loads(text)["features"][0]["properties"]
        assert set(props) == {a["name"] for a in _declared("pgt_ambiti_trasformazione")}
        assert props["istat_code"] == "015146"


@pytest.mark.parametrize("lang", ["it", "en"])
@pytest.mark.parametrize("fmt", ["application/json", "application/vnd.ogc.gml", "text/plain"])
def test_identify_labels_every_attribute_in_every_format(client, sql, declared_layers, fmt, lang):
    """GML, GeoJSON and text answers label each declared attribute as the declaration does (the HTML
    table is checked below), in the requested language; names and values stay those of WFS."""
    declared = _declared("pgt_ambiti_trasformazione")
    labels = {a["name"]: a[f"label_{lang}"] for a in declared}
    text = _info(client, sql, fmt, lang="en" if lang == "en" else None)
    if fmt == "application/json":
        feature = json.loads(text)["features"][0]
        assert feature["labels"] == labels
        assert feature["properties"]["istat_code"] == "015146"
    elif fmt == "application/vnd.ogc.gml":
        feature = next(_xml_root(text.encode()).iter("ambiti_trasformazione_feature"))
        found = {el.tag: el.get("label") for el in feature if el.get("label") is not None}
        assert found == labels
        assert feature.findtext("istat_code") == "015146"
    else:
        lines = {
            line.strip().split(" = ", 1)[0]: line.strip().split(" = ", 1)[1]
            for line in text.splitlines()
            if " = '" in line
        }
        assert set(labels.values()) <= set(lines)
        assert lines[labels["istat_code"]] == "'015146'"


@pytest.mark.parametrize("lang", ["it", "en"])
def test_identify_html_shows_the_declared_labels(client, sql, declared_layers, lang):
    """The HTML table labels each attribute as the declaration does, in the requested language."""
    text = _info(client, sql, "text/html", lang="en" if lang == "en" else None)
    for attribute in _declared("pgt_ambiti_trasformazione"):
        label = attribute[f"label_{lang}"].replace("&", "&amp;")
        assert f"<th>{label}</th>" in text


# --- comune codes ----------------------------------------------------------------------------------------

# Layers whose features are the comuni (the name is the comune's) or the zones themselves (no single comune)
_SELF_BOUND = {"comuni": "name", "indicatori_comuni": "name", "zone_omogenee": None, "indicatori_zone": None}


def _comune_bound() -> list[dict]:
    out = []
    for path in sorted(DECLARATIONS.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        if path.name.startswith("_") or data.get("kind") == "raster" or data["slug"] in _SELF_BOUND:
            continue
        if str(data.get("source", "")).endswith(".tif"):
            continue
        out.append(data)
    return out


@pytest.mark.parametrize("declaration", _comune_bound(), ids=lambda d: d["slug"])
def test_every_comune_bound_layer_exposes_istat_code_and_comune(sql, declaration):
    """PGT, PTM, interventions and stations publish istat_code and the comune's name, and their
    source relation has both columns."""
    names = {a["name"] for a in declaration["attributes"]}
    assert {"istat_code", "comune"} <= names
    columns = {
        r[0]
        for r in sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s", [declaration["source"]]
        )
    }
    assert {"istat_code", "comune"} <= columns


@pytest.mark.parametrize("slug", [s for s, name in _SELF_BOUND.items() if name])
def test_layers_of_comuni_expose_the_istat_code_and_name(slug):
    """A layer whose features are the comuni publishes their ISTAT code and name (its comune name)."""
    data = yaml.safe_load((DECLARATIONS / f"{slug}.yaml").read_text())
    assert {"istat_code", _SELF_BOUND[slug]} <= {a["name"] for a in data["attributes"]}


def test_wfs_filter_by_comune_code_on_a_pgt_layer(client, sql, declared_layers):
    """A FES filter on istat_code returns what SQL returns, with the comune's name."""
    expected = sql("SELECT count(*) FROM pgt_ambiti_trasformazione WHERE istat_code = %s", ["015182"])[0][0]
    fil = (
        '<fes:Filter xmlns:fes="http://www.opengis.net/fes/2.0"><fes:PropertyIsEqualTo>'
        "<fes:ValueReference>istat_code</fes:ValueReference><fes:Literal>015182</fes:Literal>"
        "</fes:PropertyIsEqualTo></fes:Filter>"
    )
    features = _features(client, TYPENAMES=LAYER, FILTER=fil)
    assert len(features) == expected > 0
    assert {f["properties"]["comune"] for f in features} == {"Rho"}


# --- typenames -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2.0.0", "1.1.0", "1.0.0"])
@pytest.mark.parametrize("typename", [LAYER, f"ms:{LAYER}"])
def test_typenames_with_and_without_prefix(client, sql, version, typename):
    """GetFeature and DescribeFeatureType accept the bare name and the ms: prefixed one in every version."""
    expected = sql("SELECT count(*) FROM pgt_ambiti_trasformazione")[0][0]
    features = _features(client, VERSION=version, TYPENAMES=typename, TYPENAME=typename)
    assert len(features) == expected
    schema = client.get(
        "/ows",
        {
            "SERVICE": "WFS",
            "VERSION": version,
            "REQUEST": "DescribeFeatureType",
            "TYPENAMES": typename,
            "TYPENAME": typename,
        },
    )
    assert not _is_exception(schema.content)
    assert b'name="nome_amb"' in schema.content


# --- limits ----------------------------------------------------------------------------------------------


def test_limits_are_advertised_and_enforced(client, settings):
    """WMS MaxWidth/MaxHeight 4096 (a larger image is refused); WFS advertises its default page (CountDefault)
    and a GetFeature without COUNT stops there; only WMS and WFS are offered."""
    wms = _xml_root(client.get("/ows", {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"}).content)
    assert wms.findtext(".//{http://www.opengis.net/wms}MaxWidth") == "4096"
    big = client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": LAYER,
            "STYLES": "",
            "CRS": "EPSG:32632",
            "BBOX": "500000,5020000,530000,5050000",
            "WIDTH": 5000,
            "HEIGHT": 5000,
            "FORMAT": "image/png",
        },
    )
    assert _is_exception(big.content) and big["Cache-Control"] == "no-store"
    wfs = client.get("/ows", {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetCapabilities"}).content.decode()
    maximum = settings.REMIX["OGC_SERVICE"]["max_features"]
    assert '<ows:Constraint name="CountDefault">' in wfs and f"<ows:DefaultValue>{maximum}</ows:DefaultValue>" in wfs
    for other in ("WCS", "SOS", "WMTS"):
        assert client.get("/ows", {"SERVICE": other, "REQUEST": "GetCapabilities"}).status_code == 400


def test_wfs_without_count_stops_at_the_advertised_maximum(client, settings):
    from layers.ogc import service

    settings.REMIX = {**settings.REMIX, "OGC_SERVICE": {**settings.REMIX["OGC_SERVICE"], "max_features": 5}}
    service._maps.clear()
    try:
        assert len(_features(client, TYPENAMES="comuni")) == 5
    finally:
        service._maps.clear()

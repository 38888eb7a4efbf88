"""WFS as QGIS, OWSLib and GDAL use it: counts, paging, filters and formats agree with the database."""

import json
import subprocess

import pytest
from lxml import etree
from owslib.feature.schema import get_schema
from owslib.wfs import WebFeatureService

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ogc_data")]
LAYER = "ambiti_trasformazione"
FES20 = 'xmlns:fes="http://www.opengis.net/fes/2.0"'
GML = {"gml": "http://www.opengis.net/gml", "gml32": "http://www.opengis.net/gml/3.2"}


def _hits(answer) -> int:
    """numberMatched of a WFS 2.0 resultType=hits answer (a wfs:FeatureCollection without members)."""
    assert answer.status_code == 200, answer.content[:400]
    root = etree.fromstring(answer.content)
    assert etree.QName(root).localname == "FeatureCollection", answer.content[:400]
    return int(root.get("numberMatched"))


def _gml_members(content: bytes) -> list:
    """The features of a GML FeatureCollection (GML 3.1 or 3.2, one member element each or a members list)."""
    root = etree.fromstring(content)
    return root.xpath(
        "//gml:featureMember/* | //gml:featureMembers/* | //gml32:featureMember/* | //gml32:member/*", namespaces=GML
    )


def _geojson(client, **params):
    query = {
        "SERVICE": "WFS",
        "VERSION": "2.0.0",
        "REQUEST": "GetFeature",
        "TYPENAMES": LAYER,
        "OUTPUTFORMAT": "geojson",
        **params,
    }
    answer = client.get("/ows", query)
    assert answer.status_code == 200, answer.content[:400]
    return json.loads(answer.content)


@pytest.mark.parametrize("version", ["2.0.0", "1.1.0"])
def test_capabilities_list_the_public_layers(ows_server, version):
    """OWSLib reads the WFS capabilities: the public layers with their registry titles."""
    wfs = WebFeatureService(f"{ows_server}/ows", version=version)
    names = {name.split(":")[-1] for name in wfs.contents}
    assert {"ambiti_trasformazione", "comuni"} <= names
    assert "non_pubblicato" not in names and "riservato_autenticati" not in names
    layer = next(v for k, v in wfs.contents.items() if k.endswith(LAYER))
    assert layer.title == "Ambiti di trasformazione (sintetico)"


def test_describe_feature_type_has_the_regional_fields(ows_server):
    """DescribeFeatureType lists the layer's attributes with their types (numbers stay numbers), as OWSLib reads it."""
    schema = get_schema(f"{ows_server}/ows", LAYER, version="2.0.0")
    properties = schema["properties"]
    assert "nome_amb" in properties and "sup_terr" in properties
    assert properties["sup_terr"] == "double"


def test_hits_equal_the_database_count(client, sql):
    """resultType=hits answers with the number of features the database holds."""
    expected = sql("SELECT count(*) FROM pgt_ambiti_trasformazione")[0][0]
    answer = client.get(
        "/ows",
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": LAYER, "RESULTTYPE": "hits"},
    )
    assert _hits(answer) == expected
    assert len(_geojson(client)["features"]) == expected


def test_paging_walks_every_feature_exactly_once(client, sql):
    """STARTINDEX/COUNT pages, concatenated, hold every feature once and only once."""
    expected = sorted(row[0] for row in sql("SELECT feature_key FROM pgt_ambiti_trasformazione"))
    seen = []
    for start in range(0, len(expected) + 7, 7):
        page = _geojson(client, STARTINDEX=start, COUNT=7)["features"]
        assert len(page) <= 7
        seen += [f["properties"]["feature_key"] for f in page]
    assert sorted(seen) == expected


def test_bbox_returns_what_postgis_intersects(client, sql):
    """A BBOX query returns the features PostGIS finds intersecting the same box."""
    x, y = sql(
        "SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p FROM mappature_comune"
        " WHERE istat_code = '015146') s"
    )[0]
    box = (x - 700, y - 500, x + 300, y + 900)
    expected = sorted(
        r[0]
        for r in sql(
            "SELECT feature_key FROM pgt_ambiti_trasformazione"
            " WHERE ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 32632))",
            list(box),
        )
    )
    assert 0 < len(expected) < 16
    data = _geojson(client, BBOX=",".join(str(v) for v in box) + ",urn:ogc:def:crs:EPSG::32632")
    assert sorted(f["properties"]["feature_key"] for f in data["features"]) == expected


@pytest.mark.parametrize(
    ("fes", "where", "params"),
    [
        (
            "<fes:PropertyIsEqualTo><fes:ValueReference>dfun_prev1</fes:ValueReference>"
            "<fes:Literal>Residenziale</fes:Literal></fes:PropertyIsEqualTo>",
            "dfun_prev1 = %s",
            ["Residenziale"],
        ),
        (
            "<fes:PropertyIsGreaterThan><fes:ValueReference>sup_terr</fes:ValueReference>"
            "<fes:Literal>3000</fes:Literal></fes:PropertyIsGreaterThan>",
            "sup_terr > %s",
            [3000],
        ),
        (
            "<fes:PropertyIsLike wildCard='*' singleChar='.' escapeChar='!'><fes:ValueReference>nome_amb"
            "</fes:ValueReference><fes:Literal>*Città Rho</fes:Literal></fes:PropertyIsLike>",
            "nome_amb LIKE %s",
            ["%Città Rho"],
        ),
    ],
)
def test_fes_filters_return_what_sql_returns(client, sql, fes, where, params):
    """Attribute filters (FES 2.0) select exactly the rows the equivalent SQL selects."""
    expected = sorted(r[0] for r in sql(f"SELECT feature_key FROM pgt_ambiti_trasformazione WHERE {where}", params))
    assert expected
    data = _geojson(client, FILTER=f"<fes:Filter {FES20}>{fes}</fes:Filter>")
    assert sorted(f["properties"]["feature_key"] for f in data["features"]) == expected


def test_wfs_110_filter_and_gml(client, sql):
    """WFS 1.1.0 with an OGC filter answers GML with the matching features."""
    expected = sql("SELECT count(*) FROM pgt_ambiti_trasformazione WHERE istat_code = %s", ["015182"])[0][0]
    fil = (
        '<ogc:Filter xmlns:ogc="http://www.opengis.net/ogc"><ogc:PropertyIsEqualTo>'
        "<ogc:PropertyName>istat_code</ogc:PropertyName><ogc:Literal>015182</ogc:Literal>"
        "</ogc:PropertyIsEqualTo></ogc:Filter>"
    )
    answer = client.get(
        "/ows", {"SERVICE": "WFS", "VERSION": "1.1.0", "REQUEST": "GetFeature", "TYPENAME": LAYER, "FILTER": fil}
    )
    assert expected, "the fixture must have features in the filtered comune"
    members = _gml_members(answer.content)
    assert len(members) == expected
    assert {etree.QName(m).localname for m in members} == {LAYER}


def test_gml32_is_the_default_of_wfs_20(client):
    """WFS 2.0.0 answers GML 3.2 unless GeoJSON is asked for."""
    answer = client.get(
        "/ows", {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": LAYER, "COUNT": 1}
    )
    assert "gml/3.2" in answer["Content-Type"]
    assert "http://www.opengis.net/gml/3.2" in answer.content.decode()


def test_gdal_wfs_driver_reads_the_layers(ows_server, sql):
    """GDAL's WFS driver (ogrinfo, hence QGIS' OGR provider) reads each layer with the database's count."""
    expected = sql("SELECT count(*) FROM pgt_ambiti_trasformazione")[0][0]
    out = subprocess.run(
        ["ogrinfo", "-ro", "-so", f"WFS:{ows_server}/ows", LAYER],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert f"Feature Count: {expected}" in out
    assert "nome_amb" in out
    listing = subprocess.run(
        ["ogrinfo", "-ro", "-q", f"WFS:{ows_server}/ows"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    assert "comuni" in listing and "riservato" not in listing


def test_points_on_the_edge_of_the_extent_are_served(client, sql):
    """Every point is returned, including those that define the layer's extent (no rounding inwards)."""
    expected = sql("SELECT count(*) FROM test_ogc_punti")[0][0]
    answer = client.get(
        "/ows",
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": "punti", "RESULTTYPE": "hits"},
    )
    assert _hits(answer) == expected


def test_data_loaded_after_the_map_was_built_is_served(client, sql):
    """A feature added outside the old data extent (e.g. a newly published PGT) is served at once."""
    import psycopg

    from layers.ogc import service

    def served():
        query = {
            "SERVICE": "WFS",
            "VERSION": "2.0.0",
            "REQUEST": "GetFeature",
            "TYPENAMES": LAYER,
            "OUTPUTFORMAT": "geojson",
        }
        return {f["properties"]["feature_key"] for f in json.loads(client.get("/ows", query).content)["features"]}

    assert "LATE" not in served()  # the map is built and cached with the old extent
    with psycopg.connect(service.conninfo(with_password=True), autocommit=True) as pg:
        pg.execute(
            "INSERT INTO mappature_pgtfeature (atto_id, istat_code, layer, feature_key, attrs, geom)"
            " SELECT atto_id, istat_code, layer, 'LATE', attrs,"
            " ST_Multi(ST_MakeEnvelope(480000, 5005000, 480100, 5005100, 32632))"
            " FROM mappature_pgtfeature WHERE feature_key = '015146-AT05'"
        )
        try:
            assert "LATE" in served()
        finally:
            pg.execute("DELETE FROM mappature_pgtfeature WHERE feature_key = 'LATE'")

"""Capabilities as catalogues, INSPIRE and GIS clients read them: service metadata from settings, keywords
kept whole, per-layer metadata and legends, extents from the data nested in the root, rasters drawn below."""

import subprocess
import urllib.request

import numpy as np
import pytest
import rasterio
from lxml import etree
from owslib.wfs import WebFeatureService
from owslib.wms import WebMapService
from rasterio.io import MemoryFile
from rasterio.transform import from_origin

from layers.models import Layer
from layers.ogc import service

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("ogc_data"),
    pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning"),
]
LAYER = "ambiti_trasformazione"
INSPIRE = "http://inspire.ec.europa.eu/schemas/common/1.0"


@pytest.fixture
def service_settings(settings):
    """Service metadata as an operator sets it, including a keyword with a comma."""
    settings.REMIX = {
        **settings.REMIX,
        "OGC_SERVICE": {
            **settings.REMIX["OGC_SERVICE"],
            "person": "Ufficio SIT",
            "position": "Responsabile",
            "email": "sit@example.org",
            "phone": "+39 02 0000000",
            "keywords": ["rigenerazione urbana", "Milano, Città metropolitana", "PGT"],
        },
    }
    service._maps.clear()
    yield settings.REMIX["OGC_SERVICE"]
    service._maps.clear()


def test_wms_capabilities_carry_the_service_metadata(ows_server, service_settings):
    """OWSLib reads provider, contact, address, fees, constraints and whole keywords from the WMS."""
    wms = WebMapService(f"{ows_server}/ows", version="1.3.0")
    assert "Milano, Città metropolitana" in wms.identification.keywords
    assert wms.provider.name == "Città metropolitana di Milano"
    contact = wms.provider.contact
    assert contact.name == "Ufficio SIT" and contact.position == "Responsabile"
    assert contact.city == "Milano" and contact.postcode == "20122"
    # OWSLib's WMS 1.3.0 reader looks for the e-mail without its namespace and has no phone: read the document
    caps = etree.fromstring(wms.getServiceXML())
    assert caps.findtext(".//{http://www.opengis.net/wms}ContactElectronicMailAddress") == "sit@example.org"
    assert caps.findtext(".//{http://www.opengis.net/wms}ContactVoiceTelephone") == "+39 02 0000000"
    assert wms.identification.accessconstraints.startswith("CC-BY 4.0")
    assert wms.identification.fees


@pytest.mark.parametrize("version", ["2.0.0", "1.1.0"])
def test_wfs_capabilities_carry_the_service_metadata(ows_server, service_settings, version):
    """The same metadata in WFS (OWS Common ServiceProvider)."""
    wfs = WebFeatureService(f"{ows_server}/ows", version=version)
    assert "Milano, Città metropolitana" in wfs.identification.keywords
    assert wfs.provider.name == "Città metropolitana di Milano"
    assert wfs.provider.contact.email == "sit@example.org"


@pytest.mark.parametrize(("service_name", "version"), [("WMS", "1.3.0"), ("WFS", "2.0.0")])
def test_inspire_extended_capabilities(client, service_name, version):
    """INSPIRE extended capabilities: a metadata URL that answers, default and supported languages."""
    body = client.get("/ows", {"SERVICE": service_name, "VERSION": version, "REQUEST": "GetCapabilities"}).content
    root = etree.fromstring(body)
    url = root.find(f".//{{{INSPIRE}}}MetadataUrl/{{{INSPIRE}}}URL")
    assert url is not None and url.text.startswith("http://testserver/")
    assert client.get(url.text.replace("http://testserver", "")).status_code == 200
    assert root.find(f".//{{{INSPIRE}}}DefaultLanguage/{{{INSPIRE}}}Language").text == "ita"
    supported = {e.text for e in root.iterfind(f".//{{{INSPIRE}}}SupportedLanguage/{{{INSPIRE}}}Language")}
    assert "eng" in supported


def test_layer_keywords_with_commas_stay_whole(client):
    """A layer keyword that contains a comma is one keyword in the capabilities."""
    layer = Layer.objects.get(slug=LAYER)
    layer.metadata = {**layer.metadata, "keywords": ["PGT", "ambiti, trasformazione"]}
    layer.save()
    body = client.get("/ows", {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"}).content
    root = etree.fromstring(body)
    ns = {"w": "http://www.opengis.net/wms"}
    at = next(lyr for lyr in root.iterfind(".//w:Layer", ns) if lyr.findtext("w:Name", namespaces=ns) == LAYER)
    keywords = [k.text for k in at.iterfind("w:KeywordList/w:Keyword", ns)]
    assert "ambiti, trasformazione" in keywords and "ambiti" not in keywords


def test_every_layer_and_group_has_a_legend_and_each_layer_its_record(ows_server):
    """Each layer: its RNDT record (which answers) and a legend image that draws; each theme is a group
    with its own legend, and so is the root."""
    wms = WebMapService(f"{ows_server}/ows", version="1.3.0")
    names = set(Layer.objects.visible_to(None).values_list("slug", flat=True))
    assert names <= set(wms.contents)
    groups = set(wms.contents) - names - {"remix"}
    assert {"pgt", "riferimenti"} <= groups
    assert LAYER in [child.name for child in wms["pgt"].children]
    for group in groups:
        with urllib.request.urlopen(wms[group].styles["default"]["legend"]) as r:
            assert r.read()[:4] == b"\x89PNG"
    for name in names:
        layer = wms[name]
        assert layer.metadataUrls and layer.metadataUrls[0]["url"].endswith(f"/api/catalogo/{name}/metadati.xml")
        with urllib.request.urlopen(layer.metadataUrls[0]["url"]) as r:
            assert r.status == 200
        legend = layer.styles["default"]["legend"]
        with urllib.request.urlopen(legend) as r:
            assert r.read()[:4] == b"\x89PNG"
    root_legend = wms["remix"].styles.get("default", {}).get("legend")
    assert root_legend, "the root layer (the whole service) has a legend too"
    assert wms["riferimenti"].title == "Riferimenti"


def test_layer_extents_come_from_the_data_and_nest_in_the_root(ows_server, sql):
    """Each layer's geographic box is its data's (not a fixed box) and lies inside the root's."""
    wms = WebMapService(f"{ows_server}/ows", version="1.3.0")
    rw, rs, re_, rn = wms["remix"].boundingBoxWGS84
    for name in (n for n in wms.contents if n != "remix"):
        w, s, e, n = wms[name].boundingBoxWGS84
        assert rw <= w <= e <= re_ and rs <= s <= n <= rn, name
    expected = sql(
        "SELECT ST_XMin(b), ST_YMin(b), ST_XMax(b), ST_YMax(b) FROM (SELECT ST_Transform(ST_SetSRID("
        "ST_Extent(geom), 32632), 4326)::box2d AS b FROM pgt_ambiti_trasformazione) t"
    )[0]
    box = wms[LAYER].boundingBoxWGS84
    assert all(abs(a - b) < 0.005 for a, b in zip(box, expected, strict=True)), (box, expected)


def test_gdal_reads_the_wms_layers(ows_server):
    """GDAL's WMS driver lists each public layer as a subdataset."""
    out = subprocess.run(
        ["gdalinfo", f"WMS:{ows_server}/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert f"LAYERS={LAYER}" in out and "LAYERS=comuni" in out


@pytest.fixture
def heat_raster(tmp_path):
    """A raster covering a PGT feature: all pixels hot (5), classified red."""
    path = tmp_path / "calore.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=400,
        height=400,
        count=1,
        dtype="uint8",
        crs="EPSG:32632",
        transform=from_origin(470000, 5065000, 200, 200),
    ) as out:
        out.write(np.full((400, 400), 5, dtype="uint8"), 1)
    style = {"kind": "graduated", "classes": [{"min": 0, "max": 10, "label_it": "caldo", "fill": "#00ff00"}]}
    return Layer.objects.create(
        slug="aa_calore",
        title_it="Anomalia termica (sintetico)",
        theme="aa",
        kind="raster",
        source=str(path),
        published=True,
        synthetic=True,
        style=style,
        attributes=[{"name": "value", "label_it": "Anomalia (°C)", "label_en": "Anomaly"}],
    )


def test_root_layer_draws_rasters_below_vectors(client, sql, heat_raster):
    """Drawing the whole service (LAYERS=remix, as QGIS does when the root is added): the vector feature
    is visible above the raster, the raster shows around it."""
    minx, miny, maxx, maxy = sql(
        "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM"
        " pgt_ambiti_trasformazione WHERE feature_key = '015146-AT05'"
    )[0]
    pad = 1.2 * (maxx - minx)
    answer = client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": "remix",
            "STYLES": "",
            "CRS": "EPSG:32632",
            "BBOX": f"{minx - pad},{miny - pad},{maxx + pad},{maxy + pad}",
            "WIDTH": 100,
            "HEIGHT": 100,
            "FORMAT": "image/png",
        },
    )
    assert answer["Content-Type"] == "image/png", answer.content[:300]
    with MemoryFile(answer.content) as mem, mem.open() as ds:
        pixels = ds.read()
    red, _green, _blue = pixels[:3, 50, 50]
    assert red > 200  # the Residenziale feature (red, under the half-transparent yellow comuni) is visible
    assert pixels[1, 2, 2] > 200  # the raster (opaque green) around it, drawn first


def test_heat_raster_is_queryable(client, heat_raster):
    """The raster is queryable in the capabilities and GetFeatureInfo answers its value with the label."""
    caps = etree.fromstring(
        client.get("/ows", {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"}).content
    )
    ns = {"w": "http://www.opengis.net/wms"}
    layer = next(lyr for lyr in caps.iterfind(".//w:Layer", ns) if lyr.findtext("w:Name", namespaces=ns) == "aa_calore")
    assert layer.get("queryable") == "1"
    text = client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetFeatureInfo",
            "LAYERS": "aa_calore",
            "QUERY_LAYERS": "aa_calore",
            "STYLES": "",
            "CRS": "EPSG:32632",
            "BBOX": "500000,5030000,502000,5032000",
            "WIDTH": 10,
            "HEIGHT": 10,
            "I": 5,
            "J": 5,
            "INFO_FORMAT": "text/html",
        },
    ).content.decode()
    assert "<th>Anomalia (°C)</th><td>5</td>" in text

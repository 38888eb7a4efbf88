"""WMS as QGIS uses it: capabilities with the registry metadata, maps drawn where the data is, info, legends."""

import json

import numpy as np
import pytest
from owslib.wms import WebMapService
from pyproj import Transformer
from rasterio.io import MemoryFile

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("ogc_data"),
    pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning"),
]


def _image(body: bytes) -> np.ndarray:
    with MemoryFile(body) as mem, mem.open() as ds:
        return ds.read()  # bands × rows × cols


def _feature_bbox(sql, key):
    """Bounds (EPSG:32632) of one PGT feature, from the database."""
    return sql(
        "SELECT ST_XMin(geom), ST_YMin(geom), ST_XMax(geom), ST_YMax(geom) FROM pgt_ambiti_trasformazione"
        " WHERE feature_key = %s",
        [key],
    )[0]


@pytest.mark.parametrize("version", ["1.3.0", "1.1.1"])
def test_capabilities_carry_registry_metadata(ows_server, version):
    """QGIS lists the published public layers with their titles, abstracts, keywords and extents."""
    wms = WebMapService(f"{ows_server}/ows", version=version)
    assert "ambiti_trasformazione" in wms.contents and "comuni" in wms.contents
    layer = wms["ambiti_trasformazione"]
    assert layer.title == "Ambiti di trasformazione (sintetico)"
    assert "PGT vigente" in layer.abstract
    assert "ambiti" in layer.keywords
    assert "EPSG:3003" in layer.crsOptions and "EPSG:25832" in layer.crsOptions
    assert wms.identification.title.startswith("Remix")
    assert wms.provider.name == "Città metropolitana di Milano"
    west, south, east, north = layer.boundingBoxWGS84
    assert 8.5 < west < east < 9.7 and 45.1 < south < north < 45.8  # CMM


@pytest.mark.parametrize("crs", ["EPSG:32632", "EPSG:3857", "EPSG:4326", "EPSG:3003", "EPSG:25832"])
def test_getmap_draws_the_feature_where_it_is(client, sql, crs):
    """A GetMap in each supported CRS has the requested size, the feature's colour at its centre, empty elsewhere."""
    minx, miny, maxx, maxy = _feature_bbox(sql, "015146-AT05")  # n=5: Residenziale → red
    pad = 1.5 * (maxx - minx)  # the neighbouring squares (400 m apart) stay outside
    to = Transformer.from_crs("EPSG:32632", crs, always_xy=True)
    x1, y1 = to.transform(minx - pad, miny - pad)
    x2, y2 = to.transform(maxx + pad, maxy + pad)
    bbox = f"{y1},{x1},{y2},{x2}" if crs == "EPSG:4326" else f"{x1},{y1},{x2},{y2}"
    answer = client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": "ambiti_trasformazione",
            "STYLES": "",
            "CRS": crs,
            "BBOX": bbox,
            "WIDTH": 210,
            "HEIGHT": 190,
            "FORMAT": "image/png",
            "TRANSPARENT": "TRUE",
        },
    )
    assert answer["Content-Type"] == "image/png", answer.content[:300]
    pixels = _image(answer.content)
    assert pixels.shape == (4, 190, 210)
    red, green, blue, alpha = pixels[:, 95, 105]
    assert alpha == 255 and red > 200 and green < 60 and blue < 60
    assert pixels[3, 3, 3] == 0  # a corner away from any feature stays transparent


def test_getmap_wms_111_with_srs(client, sql):
    """WMS 1.1.1 clients (SRS, x/y order) get the same drawing; the categorized colour follows the class."""
    minx, miny, maxx, maxy = _feature_bbox(sql, "015146-AT04")  # n=4: Produttivo → blue
    answer = client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.1.1",
            "REQUEST": "GetMap",
            "LAYERS": "ambiti_trasformazione",
            "STYLES": "",
            "SRS": "EPSG:32632",
            "BBOX": f"{minx - 100},{miny - 100},{maxx + 100},{maxy + 100}",
            "WIDTH": 64,
            "HEIGHT": 64,
            "FORMAT": "image/png",
        },
    )
    pixels = _image(answer.content)
    red, green, blue, alpha = pixels[:, 32, 32]
    assert alpha == 255 and blue > 200 and red < 60


def _info(client, sql, fmt, key="015146-AT05"):
    minx, miny, maxx, maxy = _feature_bbox(sql, key)
    bbox = f"{minx - 100},{miny - 100},{maxx + 100},{maxy + 100}"
    return client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetFeatureInfo",
            "LAYERS": "ambiti_trasformazione",
            "QUERY_LAYERS": "ambiti_trasformazione",
            "STYLES": "",
            "CRS": "EPSG:32632",
            "BBOX": bbox,
            "WIDTH": 100,
            "HEIGHT": 100,
            "I": 50,
            "J": 50,
            "INFO_FORMAT": fmt,
            "FORMAT": "image/png",
        },
    )


def test_getfeatureinfo_json_returns_the_clicked_feature(client, sql):
    """Clicking a feature returns it, with its attributes, as GeoJSON."""
    answer = _info(client, sql, "application/json")
    data = json.loads(answer.content)
    keys = [f["properties"]["feature_key"] for f in data["features"]]
    assert keys == ["015146-AT05"]
    assert data["features"][0]["properties"]["nome_amb"] == "AT 5 – Città Milano"


def test_getfeatureinfo_html_is_a_readable_table(client, sql):
    """The HTML answer is a table with the layer title and the attribute values, HTML-escaped."""
    answer = _info(client, sql, "text/html")
    assert answer["Content-Type"].startswith("text/html")
    text = answer.content.decode()
    assert "<caption>Ambiti di trasformazione</caption>" in text
    assert "AT 5 – Città Milano" in text


def test_legend_graphic_is_an_image_with_each_class(client):
    """GetLegendGraphic draws one row per class of the registry style."""
    answer = client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetLegendGraphic",
            "LAYER": "ambiti_trasformazione",
            "FORMAT": "image/png",
            "SLD_VERSION": "1.1.0",
        },
    )
    assert answer["Content-Type"] == "image/png"
    pixels = _image(answer.content)
    rgb = pixels[:3].reshape(3, -1).T
    assert any((p[0] > 200) and (p[1] < 60) and (p[2] < 60) for p in rgb)  # the red class
    assert any((p[2] > 200) and (p[0] < 60) and (p[1] < 60) for p in rgb)  # the blue class


def test_capabilities_link_each_layer_to_its_rndt_record(client):
    """The MetadataURL of a layer is the catalogue's ISO 19139 record, which answers."""
    text = client.get("/ows", {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"}).content.decode()
    href = "http://testserver/api/catalogo/ambiti_trasformazione/metadati.xml"
    assert f'xlink:href="{href}"' in text
    assert client.get(href).status_code == 200


def test_feature_info_speaks_the_requested_language(client, sql):
    """LANGUAGE=en gives English labels and titles; the Italian service keeps its own."""
    minx, miny, maxx, maxy = _feature_bbox(sql, "015146-AT05")
    params = {
        "SERVICE": "WMS",
        "VERSION": "1.3.0",
        "REQUEST": "GetFeatureInfo",
        "LAYERS": "comuni",
        "QUERY_LAYERS": "comuni",
        "STYLES": "",
        "CRS": "EPSG:32632",
        "BBOX": f"{minx - 100},{miny - 100},{maxx + 100},{maxy + 100}",
        "WIDTH": 100,
        "HEIGHT": 100,
        "I": 50,
        "J": 50,
        "INFO_FORMAT": "text/html",
        "FORMAT": "image/png",
    }
    english = client.get("/ows", {**params, "LANGUAGE": "en"}).content.decode()
    italian = client.get("/ows", params).content.decode()
    assert "<th>ISTAT code</th>" in english and "<caption>Municipalities</caption>" in english
    assert "<th>Codice ISTAT</th>" in italian and "<caption>Comuni</caption>" in italian


def test_getmap_of_named_layers_runs_on_a_map_of_those_layers_and_draws_the_same(sql):
    """A GetMap naming layers is answered from a kept copy of the map with only those layers (cloning the
    whole map for every tile cost a tenth of its time); the picture is the one the whole map draws. A
    group name, an unknown name or an SLD keeps the whole map."""
    from layers.ogc import guard, service

    minx, miny, maxx, maxy = _feature_bbox(sql, "015146-AT05")
    query = (
        "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&STYLES=&CRS=EPSG:32632&WIDTH=120&HEIGHT=100&FORMAT=image/png"
        f"&TRANSPARENT=TRUE&BBOX={minx - 300},{miny - 300},{maxx + 300},{maxy + 300}"
    )
    whole = service.map_for(None)
    assert whole.numlayers > 2
    if True:  # the maps are this thread's own (service._PerThread)
        for layers in ("ambiti_trasformazione", "comuni,ambiti_trasformazione"):
            prepared = guard.prepare(f"{query}&LAYERS={layers}")
            drawn = service._drawn_only(whole, prepared)
            assert sorted(drawn.getLayer(i).name for i in range(drawn.numlayers)) == sorted(layers.split(","))
            assert service._drawn_only(whole, prepared) is drawn  # made once
            own = service._run(drawn, prepared.query, "http://testserver/ows?", b"", prepared=prepared)
            reference = service._run(whole, prepared.query, "http://testserver/ows?", b"", prepared=prepared)
            assert own.content_type == "image/png" and own.body == reference.body
        for other in ("LAYERS=pgt", "LAYERS=remix", "LAYERS=nessuno", "LAYERS=comuni&SLD_BODY=x"):
            assert service._drawn_only(whole, guard.prepare(f"{query}&{other}")) is whole


def test_other_threads_run_while_mapserver_draws():
    """MapServer works with Python's GIL released: a large GetMap in one thread of a gthread worker no
    longer freezes the process's other threads (tiles, pages, API) for its whole length."""
    import threading
    import time

    from layers.ogc import service

    query = (
        "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=comuni,ambiti_trasformazione&STYLES=&CRS=EPSG:4326"
        "&BBOX=45.1,8.7,45.7,9.6&WIDTH=4000&HEIGHT=4000&FORMAT=image/png"
    )
    service.dispatch(None, query, "http://testserver/ows?")  # the map is loaded, the connections open
    answers, pauses = [], []
    drawing = threading.Thread(target=lambda: answers.append(service.dispatch(None, query, "http://testserver/ows?")))
    started = last = time.perf_counter()
    drawing.start()
    while drawing.is_alive():
        time.sleep(0.001)
        now = time.perf_counter()
        pauses.append(now - last)
        last = now
    took = time.perf_counter() - started
    assert answers[0].content_type == "image/png" and answers[0].body[:4] == b"\x89PNG"
    assert took > 0.05, "the drawing is too quick to tell"
    assert max(pauses) < took / 2, (max(pauses), took)


def test_a_small_map_is_answered_while_a_large_one_draws_in_another_thread():
    """Each thread answers from maps of its own, with no lock: a tile asked while a large GetMap of the same
    process is being drawn comes back before it, where it used to queue behind it."""
    import threading
    import time

    from django.db import connection

    from layers.ogc import service

    large = (
        "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=comuni,ambiti_trasformazione&STYLES=&CRS=EPSG:4326"
        "&BBOX=45.1,8.7,45.7,9.6&WIDTH=4000&HEIGHT=4000&FORMAT=image/png"
    )
    small = large.replace("WIDTH=4000&HEIGHT=4000", "WIDTH=64&HEIGHT=64")
    service.dispatch(None, small, "http://testserver/ows?")  # this thread's map is loaded
    started, ended = {}, {}

    def draw(name, query):
        started[name] = time.perf_counter()
        answer = service.dispatch(None, query, "http://testserver/ows?")
        ended[name] = time.perf_counter()
        assert answer.content_type == "image/png"

    def draw_in_thread(name, query):
        try:
            draw(name, query)
        finally:
            connection.close()  # the thread's own database connection

    big = threading.Thread(target=draw_in_thread, args=("large", large))
    big.start()
    time.sleep(0.05)  # the large map is being drawn
    draw("small", small)
    big.join()
    assert ended["large"] - started["large"] > 0.2, "the large map is too quick to tell"
    assert ended["small"] < ended["large"], (ended["small"] - started["large"], ended["large"] - started["large"])


def test_threads_answering_at_once_give_the_answers_of_one_thread_alone(sql):
    """Eight threads asking maps, features and feature info at once, each from its own maps, get exactly
    what one thread alone gets (no answer mixed with another, none lost)."""
    import threading

    from django.db import connection

    from layers.ogc import service

    minx, miny, maxx, maxy = _feature_bbox(sql, "015146-AT05")
    box = f"{minx - 800},{miny - 800},{maxx + 800},{maxy + 800}"
    queries = [
        "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=ambiti_trasformazione,comuni&STYLES=&CRS=EPSG:32632"
        f"&BBOX={box}&WIDTH=256&HEIGHT=256&FORMAT=image/png",
        "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=comuni&STYLES=&CRS=EPSG:32632"
        f"&BBOX={box}&WIDTH=200&HEIGHT=150&FORMAT=image/png",
        "SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=ambiti_trasformazione&COUNT=50"
        "&OUTPUTFORMAT=application/json; subtype=geojson",
        "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetFeatureInfo&LAYERS=ambiti_trasformazione&QUERY_LAYERS=ambiti_trasformazione"
        f"&STYLES=&CRS=EPSG:32632&BBOX={box}&WIDTH=256&HEIGHT=256&I=128&J=128&INFO_FORMAT=text/plain",
    ]
    alone = [service.dispatch(None, q, "http://testserver/ows?").body for q in queries]
    assert all(alone) and b"015146-AT05" in alone[3]
    wrong, errors = [], []

    def ask(seed):
        try:
            for n in range(12):
                i = (seed + n) % len(queries)
                if service.dispatch(None, queries[i], "http://testserver/ows?").body != alone[i]:
                    wrong.append(i)
        except Exception as err:  # noqa: BLE001 - reported below with the thread's query
            errors.append(repr(err))
        finally:
            connection.close()  # the thread's own database connection

    threads = [threading.Thread(target=ask, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and wrong == []

"""Two app servers with separate var/ folders against one database: a layer or a PGT version published
through one is served at once by the other's WMS, WFS, tiles and exports (no restart), and a delivery
uploaded through one is validated by a worker process with var/ folders of its own; a raster
published through one is drawn by the other. The only shared files are the storage (remix.storage):
here a folder standing in for the object store (for rasters, one read like S3: through each server's
own copy, tests/object_store.py)."""

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pyogrio
import pytest
import rasterio
from django.contrib.auth.models import User
from django.db import connection

from consegne import actions as consegne_actions
from consegne.models import Consegna, Membership
from etl import pipeline
from etl.declarations import parse_source
from layers import actions
from layers.models import Layer
from mappature.models import Comune
from remix.models import ApiToken
from tests.background.conftest import supervised_worker, wait_for  # noqa: F401 - fixture
from tests.consegne.conftest import ACT, BESATE, CORPUS, make_user, uploaded
from tests.object_store import RASTERS
from tests.ogc.test_raster_storage import ORIGIN, STYLE, write_tif

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("export_data")]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def store(tmp_path, settings):
    """The storage every process shares (a folder standing in for S3); this process' (A's) own var/."""
    shared = tmp_path / "object-store"
    settings.REMIX = {
        **settings.REMIX,
        "CONSEGNE_DIR": shared / "consegne",
        "EXPORT_DIR": shared / "exports",
        "RASTER_DIR": shared / "rasters",
        "WORK_DIR": tmp_path / "var-a" / "work",
        "OGC_DIR": tmp_path / "var-a" / "ogc",
        "RASTER_CACHE_DIR": tmp_path / "var-a" / "cache" / "rasters",
        "ETL_ARCHIVE_DIR": tmp_path / "var-a" / "etl" / "archive",
    }
    settings.STORAGES = {**settings.STORAGES, "rasters": RASTERS}
    return shared


def _own_var(var: Path, shared: Path) -> dict:
    """Environment of a process with var/ folders of its own and the shared storage."""
    return {
        "REMIX_OGC_DIR": str(var / "ogc"),
        "REMIX_WORK_DIR": str(var / "work"),
        "REMIX_RASTER_DIR": str(shared / "rasters"),
        "REMIX_RASTER_CACHE_DIR": str(var / "cache" / "rasters"),
        "REMIX_MEDIA_ROOT": str(var / "media"),
        "REMIX_CONSEGNE_DIR": str(shared / "consegne"),
        "REMIX_EXPORT_DIR": str(shared / "exports"),
    }


@pytest.fixture
def other_server(tmp_path, store):
    """App server B: its own process and its own var/ folders, the test database, the shared storage."""
    db = connection.settings_dict
    var = tmp_path / "var-b"
    url = f"postgresql://{urllib.parse.quote(db['USER'])}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        **_own_var(var, store),
        "DJANGO_SECRET_KEY": "other-server-" + "x" * 40,
        "DJANGO_SETTINGS_MODULE": "tests.settings_object_store",  # its rasters read like S3: copies
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--nothreading", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2).read()  # noqa: S310 - loopback
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("app server B did not start")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        connection.close()


def _get(url, data=None, headers=None):
    try:
        request = urllib.request.Request(url, data=data, headers=headers or {})
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - loopback
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_a_layer_published_through_one_server_is_served_by_the_other(other_server):
    caps = other_server + "/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities"
    assert b"<Name>non_pubblicato</Name>" not in _get(caps)[1]  # B has looked at the registry
    assert _get(other_server + "/tiles/non_pubblicato/10/544/370.pbf")[0] == 404

    admin = User.objects.create_superuser("amministratore", "a@example.org", "una-Password-lunga-42")
    actions.publish(Layer.objects.get(slug="non_pubblicato"), admin)  # through this server (A)

    assert b"<Name>non_pubblicato</Name>" in _get(caps)[1]
    status, body = _get(
        other_server + "/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature"
        "&TYPENAMES=non_pubblicato&COUNT=5&OUTPUTFORMAT=geojson"
    )
    assert status == 200 and len(json.loads(body)["features"]) == 5
    status, _ = _get(other_server + "/tiles/non_pubblicato/10/544/370.pbf")
    assert status == 200
    _token, key = ApiToken.issue(User.objects.create_user("script"), "export")  # a script, not a browser
    status, body = _get(
        other_server + "/api/esportazioni/",
        urllib.parse.urlencode({"layers": "non_pubblicato", "area_kind": "zona", "zona": "nord-milano"}).encode(),
        {"Authorization": f"Token {key}"},
    )
    assert status == 201 and json.loads(body)["status"] == "done", body[:300]


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a WGS84 point (the slippy-map formula)."""
    n = 2**z
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def _features_in_tile(body: bytes, layer: str) -> int:
    decoded = mapbox_vector_tile.decode(body) if body else {}
    return len(decoded.get(layer, {}).get("features", []))


def test_a_delivery_validated_by_a_separate_worker_and_published_is_served_by_the_other(
    other_server,
    store,
    tmp_path,
    supervised_worker,  # noqa: F811 - fixture
):
    # Expected from the shipped file itself: the ambiti of the delivery, and where they are.
    corpus = CORPUS / "good_32632.gpkg"
    expected = pyogrio.read_info(corpus, layer="ambiti_trasformazione")["features"]
    ambiti = pyogrio.read_dataframe(corpus, layer="ambiti_trasformazione").to_crs(4326)
    point = ambiti.geometry.iloc[0].representative_point()
    x, y = _tile_of(point.x, point.y, 14)
    tile = f"{other_server}/tiles/ambiti_trasformazione/14/{x}/{y}.pbf"
    assert _features_in_tile(_get(tile)[1], "ambiti_trasformazione") == 0  # nothing there yet

    worker_var = tmp_path / "var-worker"
    supervised_worker(**_own_var(worker_var, store)).worker_pid()
    tecnico = make_user("tecnico.besate", Membership.Role.TECNICO, BESATE)
    staff = make_user("revisore.cmm", Membership.Role.STAFF)
    consegna = consegne_actions.submit(tecnico, Comune.objects.get(istat_code=BESATE), uploaded(corpus.name), ACT)
    # Through this server (A): the file is in the shared storage, not in the worker's var/.
    assert (store / "consegne" / consegna.stored_path).is_file()
    assert not Path(consegna.stored_path).is_absolute()

    def validated():
        consegna.refresh_from_db()
        return consegna.state not in ("in_coda", "in_validazione")

    wait_for(validated, 300, "the worker to validate the delivery")
    assert consegna.state == "in_revisione", list(consegna.findings.values_list("rule", "message"))
    assert (worker_var / "work").is_dir()  # the worker fetched the file into its own scratch folder
    assert not list((worker_var / "work").glob(f"consegna-{consegna.pk}-*"))  # and cleaned it up
    assert not (tmp_path / "var-a" / "work").exists() or not list((tmp_path / "var-a" / "work").glob("consegna-*"))

    consegne_actions.publish(staff, Consegna.objects.get(pk=consegna.pk))  # through A

    # B, at once: WMS capabilities and map, WFS, tiles and an export of the comune.
    status, body = _get(
        other_server + "/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature"
        "&TYPENAMES=ambiti_trasformazione&OUTPUTFORMAT=geojson&COUNT=1000"
    )
    assert status == 200, body[:300]
    besate = [f for f in json.loads(body)["features"] if BESATE in json.dumps(f["properties"])]
    assert len(besate) == expected
    bbox = ",".join(str(v) for v in ambiti.total_bounds[[1, 0, 3, 2]])  # lat,lon order of WMS 1.3.0
    status, png = _get(
        other_server + "/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=ambiti_trasformazione"
        f"&STYLES=&CRS=EPSG:4326&BBOX={bbox}&WIDTH=64&HEIGHT=64&FORMAT=image/png&TRANSPARENT=TRUE"
    )
    assert status == 200 and png.startswith(b"\x89PNG")
    assert _features_in_tile(_get(tile)[1], "ambiti_trasformazione") >= 1
    _token, key = ApiToken.issue(User.objects.create_user("script"), "export")
    status, body = _get(
        other_server + "/api/esportazioni/",
        urllib.parse.urlencode({"layers": "ambiti_trasformazione", "area_kind": "comune", "comune": BESATE}).encode(),
        {"Authorization": f"Token {key}"},
    )
    job = json.loads(body)
    assert status == 201 and job["status"] == "done", body[:300]
    status, gpkg = _get(job["download_url"])  # B reads it back from the storage
    assert status == 200
    downloaded = tmp_path / "besate.gpkg"
    downloaded.write_bytes(gpkg)
    assert pyogrio.read_info(downloaded, layer="ambiti_trasformazione")["features"] == expected
    assert list((store / "exports").glob("remix-*.gpkg"))  # kept in the shared storage
    assert not list((tmp_path / "var-b" / "work" / "exports").glob("*.gpkg"))  # not on B's disk


def _raster_source(path: Path):
    spec = {"id": "prova_raster", "title": "Prova raster", "theme": "sttm1", "reader": "raster"}
    spec |= {"location": str(path), "target": "raster", "options": {"output": "prova_raster.tif"}}
    return parse_source(spec, digest=str(sorted(spec.items(), key=str)))


def test_a_raster_published_through_one_server_is_drawn_by_the_other(other_server, store, tmp_path):
    Layer.objects.create(
        slug="prova_raster",
        title_it="Prova raster (sintetico)",
        theme="sttm1",
        kind="raster",
        source="prova_raster.tif",
        dataset_id="prova_raster",
        published=True,
        synthetic=True,
        style=STYLE,
    )
    rows, cols = 16, 24
    values = np.random.default_rng(11).integers(0, 10, (rows, cols), dtype="uint8")
    x0, y0 = ORIGIN
    getmap = (
        f"{other_server}/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=prova_raster&STYLES="
        f"&CRS=EPSG:32632&BBOX={x0},{y0 - rows * 100},{x0 + cols * 100},{y0}&WIDTH={cols}&HEIGHT={rows}"
        "&FORMAT=image/png"
    )

    def drawn_by_b():
        status, png = _get(getmap)
        assert status == 200 and png.startswith(b"\x89PNG"), png[:300]
        with rasterio.io.MemoryFile(png) as mem, mem.open() as img:
            return img.read()

    for version, data in enumerate((values, 9 - values), start=1):
        # Published through this server (A) by the ETL; each file is read back here, independently.
        shipped = write_tif(tmp_path / f"prova-{version}.tif", data)
        with rasterio.open(shipped) as src:
            hot = src.read(1) >= 3  # the "caldo" class of the style, drawn red; the rest blue
        assert pipeline.run(_raster_source(shipped), run_by="test").status == "loaded"
        deadline = time.monotonic() + 15  # B re-reads the registry within OGC_REGISTRY_TTL
        while True:
            pixels = drawn_by_b()
            if (pixels[0] == np.where(hot, 255, 0)).all() or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert (pixels[0] == np.where(hot, 255, 0)).all() and (pixels[2] == np.where(hot, 0, 255)).all()

    assert list((tmp_path / "var-b" / "cache" / "rasters").glob("prova_raster@*.tif"))  # B drew its own copy
    assert not (tmp_path / "var-b" / "rasters").exists() and not (tmp_path / "var-a" / "rasters").exists()
    assert [p.name for p in (store / "rasters").iterdir()] == ["prova_raster.tif"]

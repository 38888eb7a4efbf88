"""Committed fixtures for the OGC tests: MapServer reads the database through its own connection.

The data (the real 133 comuni, a small PGT in force for three comuni, registry rows with every
visibility) is committed once per module and flushed afterwards, because MapServer and GDAL
cannot see a test's open transaction.
"""

import base64

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.core.management import call_command

from etl import pipeline
from etl.declarations import get_source
from layers.models import Layer

PASSWORD = "una-password-lunga-123"  # noqa: S105 - test credentials
PGT_COMUNI = ("015146", "015182", "015209")  # Milano, Rho, Sesto San Giovanni
AT_STYLE = {
    "kind": "categorized",
    "field": "dfun_prev1",
    "stroke": "#222222",
    "opacity": 1,
    "classes": [
        {"value": "Residenziale", "label_it": "Residenziale", "label_en": "Residential", "fill": "#ff0000"},
        {"value": "Produttivo", "label_it": "Produttivo", "label_en": "Industrial", "fill": "#0000ff"},
    ],
}


def _squares(comune, per_side: int = 4, size: float = 120.0, step: float = 400.0):
    """A grid of squares around the comune's interior point: distinct, non-overlapping features."""
    centre = comune.geom.point_on_surface
    x0, y0 = centre.x - step * per_side / 2, centre.y - step * per_side / 2
    for i in range(per_side):
        for j in range(per_side):
            x, y = x0 + i * step, y0 + j * step
            ring = ((x, y), (x + size, y), (x + size, y + size), (x, y + size), (x, y))
            yield i * per_side + j, MultiPolygon(Polygon(ring), srid=32632)


def _make_pgt():
    from mappature.models import Comune, PgtAtto, PgtFeature

    for istat in PGT_COMUNI:
        comune = Comune.objects.get(istat_code=istat)
        atto = PgtAtto.objects.create(comune=comune, state="vigente", synthetic=True, spec_version="test")
        features = []
        for n, geom in _squares(comune):
            attrs = {
                "NOME_AMB": f"AT {n} – Città {comune.name}",
                "AMB_TRAS": f"AT{n:02d}",
                "FUN_PREV1": "R" if n % 2 else "P",
                "DFUN_PREV1": "Residenziale" if n % 2 else "Produttivo",
                "SUP_TERR": 1000.0 + 250 * n,
                "SCHEDA": "",
            }
            features.append(
                PgtFeature(
                    atto=atto,
                    istat_code=istat,
                    layer="ambiti_trasformazione",
                    feature_key=f"{istat}-AT{n:02d}",
                    attrs=attrs,
                    geom=geom,
                )
            )
        PgtFeature.objects.bulk_create(features)


def _make_layers(group):
    common = {"theme": "pgt", "published": True}
    Layer.objects.create(
        slug="ambiti_trasformazione",
        title_it="Ambiti di trasformazione",
        title_en="Transformation areas",
        abstract_it="Ambiti di trasformazione del PGT vigente (sintetico).",
        source="pgt_ambiti_trasformazione",
        style=AT_STYLE,
        synthetic=True,
        metadata={"keywords": ["PGT", "ambiti"], "attribution": "Comuni CMM"},
        **common,
    )
    Layer.objects.create(
        slug="comuni",
        title_it="Comuni",
        title_en="Municipalities",
        theme="riferimenti",
        source="mappature_comune",
        published=True,
        attributes=[
            {"name": "name", "label_it": "Nome", "label_en": "Name"},
            {"name": "istat_code", "label_it": "Codice ISTAT", "label_en": "ISTAT code"},
        ],
        style={"fill": "#ffcc00", "stroke": "#333333", "opacity": 0.5},
    )
    Layer.objects.create(
        slug="riservato_autenticati",
        title_it="Riservato",
        source="mappature_comune",
        visibility="authenticated",
        **common,
    )
    gruppo = Layer.objects.create(
        slug="riservato_gruppo", title_it="Solo gruppo", source="mappature_comune", visibility="group", **common
    )
    gruppo.groups.add(group)
    Layer.objects.create(slug="non_pubblicato", title_it="Bozza", source="mappature_comune", theme="pgt")
    from django.db import connection

    with connection.cursor() as cur:  # points with decimals on the very edge of their extent
        cur.execute(
            "CREATE OR REPLACE VIEW test_ogc_punti AS SELECT id, name,"
            " ST_PointOnSurface(geom)::geometry(Point, 32632) AS geom FROM mappature_comune"
        )
    Layer.objects.create(
        slug="punti",
        title_it="Punti",
        theme="riferimenti",
        source="test_ogc_punti",
        published=True,
        style={"kind": "single", "fill": "#00aa00", "size": 8},
    )


def build_data():
    """Comuni, a synthetic PGT in force for three comuni, users, and registry layers of every visibility."""
    pipeline.run(get_source("comuni"), run_by="test", force=True)
    _make_pgt()
    group = Group.objects.create(name="ufficio-piano")
    User.objects.create_user("analista", password=PASSWORD)
    member = User.objects.create_user("pianificatore", password=PASSWORD)
    member.groups.add(group)
    _make_layers(group)
    from layers.registry import refresh_extent

    for layer in Layer.objects.all():  # as `layers sync` and every load leave them
        refresh_extent(layer)


@pytest.fixture(scope="module")
def ogc_data(django_db_setup, django_db_blocker):
    """``build_data`` committed once per module (the modules carry the django_db mark, so that the test
    database exists; a guard makes sure it is the test database before anything is flushed)."""
    from django.db import connection

    with django_db_blocker.unblock():
        if not connection.settings_dict["NAME"].startswith("test_"):
            pytest.fail("the OGC tests need the test database: mark the module with pytest.mark.django_db")
        call_command("flush", interactive=False, verbosity=0)  # a previous interrupted run may have left rows
        build_data()
        yield
        _close_mapserver()
        call_command("flush", interactive=False, verbosity=0)


def _close_mapserver():
    """MapServer keeps its PostGIS connections open: close them so the test database can be dropped."""
    from layers.ogc import service

    service.close_connections()


@pytest.fixture
def export_data(transactional_db):
    """``build_data`` committed for one test: ogr2ogr and the background runner read it from outside."""
    build_data()


@pytest.fixture
def basic_auth():
    def header(username):
        token = base64.b64encode(f"{username}:{PASSWORD}".encode()).decode()
        return {"HTTP_AUTHORIZATION": f"Basic {token}"}

    return header


@pytest.fixture
def sql(django_db_blocker):
    """Ask the database directly: the expected answers of the tests come from here."""
    from django.db import connection

    from remix import db

    def query(text, params=None):
        with django_db_blocker.unblock(), connection.cursor() as cur:
            return db.execute(cur, text, params or []).fetchall()

    return query


@pytest.fixture(scope="module")
def ows_server(ogc_data):
    """A live HTTP server on 127.0.0.1 for OWSLib and GDAL (pytest-django's live_server would flush the data)."""
    import threading
    from socketserver import ThreadingMixIn
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

    from remix.wsgi import application  # with the anonymous /ows fast path, as gunicorn serves it

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    class Threaded(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    from django.db import connections

    def app(environ, start_response):
        try:
            return application(environ, start_response)
        finally:
            connections.close_all()  # each request thread's own connection: let the test database go

    server = make_server("127.0.0.1", 0, app, server_class=Threaded, handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def export_dir(tmp_path, settings, monkeypatch):
    """GeoPackages written by the tests (and by the background runner they start) stay in tmp_path."""
    settings.REMIX = {**settings.REMIX, "EXPORT_DIR": tmp_path / "exports"}
    monkeypatch.setenv("REMIX_EXPORT_DIR", str(tmp_path / "exports"))

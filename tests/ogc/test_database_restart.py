"""The database stops and comes back (a test module of its own: it stops the project's cluster).

While it is down every page answers 503 with Retry-After in the site's layout, /healthz says the
database is down, and /ows answers 503; the first OGC request after the restart succeeds although
MapServer kept a pooled PostGIS connection that the restart broke.
"""

import json
import os
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.db import connection

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ogc_data")]
ROOT = Path(__file__).resolve().parents[2]
WFS = "/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=comuni&OUTPUTFORMAT=geojson"


def _own_cluster():
    parts = urlsplit(os.environ.get("DATABASE_URL", ""))
    if (
        not (ROOT / "var" / "pgdata" / "PG_VERSION").exists()
        or parts.hostname != "127.0.0.1"
        or str(parts.port) != os.environ.get("REMIX_PG_PORT", "54329")
    ):
        pytest.skip("stops the project's own cluster only (DATABASE_URL points elsewhere)")


def _pg(command):
    subprocess.run(["scripts/pg.sh", command], cwd=ROOT, check=True, capture_output=True, timeout=120)


def _get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310 - loopback test server
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


@pytest.fixture
def stopped_database(ows_server):
    _own_cluster()
    status, _, body = _get(ows_server + WFS)  # MapServer now holds a pooled connection
    assert status == 200 and len(json.loads(body)["features"]) == 133
    _pg("stop")
    try:
        yield ows_server
    finally:
        _pg("start")
        connection.close()  # this thread's connection died with the server


def test_while_the_database_is_down_then_after_it_restarts(stopped_database):
    server = stopped_database
    status, headers, body = _get(server + "/healthz")
    assert status == 503 and json.loads(body)["database"] == "down"
    assert headers["Retry-After"]

    for lang, words in (("", "Servizio momentaneamente non disponibile"), ("/en", "Service temporarily unavailable")):
        status, headers, body = _get(f"{server}{lang}/catalogo/")
        assert status == 503
        assert int(headers["Retry-After"]) > 0
        page = body.decode()
        assert words in page and 'class="site-header"' in page  # the site's layout, in its language

    status, headers, _ = _get(server + WFS + "&x=1")
    assert status == 503 and headers["Retry-After"]

    _pg("start")
    connection.close()
    # The first OGC request after the restart is answered, with the data.
    status, _, body = _get(server + WFS)
    assert status == 200, body[:300]
    assert len(json.loads(body)["features"]) == 133
    status, _, body = _get(server + "/healthz")
    assert status == 200 and json.loads(body)["database"] == "up"

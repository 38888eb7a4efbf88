"""Two app servers with separate var/ folders against one database: a layer published through one is
served at once by the other's WMS, WFS, tiles and exports (no shared disk, no restart)."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection

from layers import actions
from layers.models import Layer
from remix.models import ApiToken

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("export_data")]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def other_server(tmp_path):
    """App server B: its own process and its own var/ folders, the test database."""
    db = connection.settings_dict
    var = tmp_path / "var-b"
    url = f"postgresql://{urllib.parse.quote(db['USER'])}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "REMIX_OGC_DIR": str(var / "ogc"),
           "REMIX_EXPORT_DIR": str(var / "exports"), "REMIX_WORK_DIR": str(var / "work"),
           "REMIX_CONSEGNE_DIR": str(var / "consegne"),
           "DJANGO_SECRET_KEY": "other-server-" + "x" * 40}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    proc = subprocess.Popen([sys.executable, "manage.py", "runserver", "--noreload", "--nothreading",
                             f"127.0.0.1:{port}"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
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
    status, body = _get(other_server + "/ows?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature"
                        "&TYPENAMES=non_pubblicato&COUNT=5&OUTPUTFORMAT=geojson")
    assert status == 200 and len(json.loads(body)["features"]) == 5
    status, _ = _get(other_server + "/tiles/non_pubblicato/10/544/370.pbf")
    assert status == 200
    _token, key = ApiToken.issue(User.objects.create_user("script"), "export")  # a script, not a browser
    status, body = _get(other_server + "/api/esportazioni/",
                        urllib.parse.urlencode({"layers": "non_pubblicato", "area_kind": "zona",
                                                "zona": "nord-milano"}).encode(), {"Authorization": f"Token {key}"})
    assert status == 201 and json.loads(body)["status"] == "done", body[:300]

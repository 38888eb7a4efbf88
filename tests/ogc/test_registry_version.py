"""The OGC registry cache is invalidated through the database, not a local file: a change committed
by another app server (which shares no disk with this one) is served at once."""

import pytest
from django.core.cache import caches
from django.db import connection

from layers.models import Layer
from layers.ogc import service

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ogc_data")]
CAPS = "/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities"


def test_a_layer_published_by_another_server_is_served_at_once(client, settings, tmp_path):
    settings.REMIX = {**settings.REMIX, "OGC_REGISTRY_TTL": 600, "OGC_DIR": tmp_path / "ogc-of-this-server"}
    assert "<Name>non_pubblicato</Name>" not in client.get(CAPS).content.decode()
    # The other server publishes: its row change and its registry version reach this one only
    # through the database (no signal runs in this process, no file is touched).
    Layer.objects.filter(slug="non_pubblicato").update(published=True)
    assert "<Name>non_pubblicato</Name>" not in client.get(CAPS).content.decode()  # cached, as it should be
    caches["shared"].set(service.REGISTRY_KEY, "written-by-the-other-server", timeout=None)
    assert "<Name>non_pubblicato</Name>" in client.get(CAPS).content.decode()


def test_a_registry_change_writes_a_new_version_in_the_database():
    before = caches["shared"].get(service.REGISTRY_KEY)
    layer = Layer.objects.get(slug="comuni")
    layer.title_it = "Comuni della Città metropolitana"
    layer.save()
    after = caches["shared"].get(service.REGISTRY_KEY)
    assert after is not None and after != before
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM remix_cache WHERE cache_key LIKE %s", [f"%{service.REGISTRY_KEY}"])
        assert cur.fetchone()[0] == 1


@pytest.mark.parametrize(
    "query",
    [
        "SERVICE=WMS&VERSION=1.3.0&REQUEST=GetMap&LAYERS=nessuno",
        "SERVICE=WFS&VERSION=2.0.0&REQUEST=GetFeature&TYPENAMES=nessuno",
    ],
)
def test_ogc_errors_never_carry_a_public_cache_header(ows_server, query):
    """Through the anonymous fast path, as gunicorn serves it."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{ows_server}/ows?{query}", timeout=30) as answer:  # noqa: S310 - loopback
            headers, body = answer.headers, answer.read()
    except urllib.error.HTTPError as err:
        headers, body = err.headers, err.read()
    assert b"Exception" in body
    assert headers["Cache-Control"] == "no-store"
    with urllib.request.urlopen(f"{ows_server}/ows?SERVICE=WMS&REQUEST=GetCapabilities", timeout=30) as ok:  # noqa: S310
        assert ok.headers["Cache-Control"].startswith("public")

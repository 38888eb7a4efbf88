"""What is visible to logged-in users only never lands in a shared cache; error pages in the layout."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

from layers.models import Layer
from tests.tiles import tile_of

pytestmark = pytest.mark.django_db
MILANO = (9.19, 45.465)


def test_tiles_of_a_layer_for_logged_in_users_are_private(client, map_data):
    x, y = tile_of(*MILANO, 10)
    url = f"/tiles/pgt_ambiti_trasformazione/10/{x}/{y}.pbf?v=1"
    public = client.get(url)
    assert public.status_code == 200 and public["Cache-Control"].startswith("public")
    Layer.objects.filter(slug="pgt_ambiti_trasformazione").update(visibility=Layer.Visibility.AUTHENTICATED)
    assert Client().get(url).status_code == 404  # anonymous: as if it did not exist
    client.force_login(User.objects.create_user("pianificatore", password="una-Password-lunga-42"))
    private = client.get(url)
    assert private.status_code == 200 and private.content == public.content
    assert private["Cache-Control"].startswith("private") and "public" not in private["Cache-Control"]


@pytest.mark.parametrize(("prefix", "title"), [("", "Pagina non trovata"), ("/en", "Page not found")])
def test_404_is_in_the_site_layout_and_language(client, prefix, title, comuni):
    response = client.get(f"{prefix}/catalogo/non-esiste/")
    assert response.status_code == 404
    page = response.content.decode()
    assert title in page and 'class="site-header"' in page


@pytest.mark.parametrize(("lang", "title"), [("it", "Errore del server"), ("en", "Server error")])
def test_500_and_403_pages_in_the_layout(rf, lang, title):
    from django.utils import translation
    from django.views import defaults

    with translation.override(lang):
        page = defaults.server_error(rf.get("/")).content.decode()
        assert title in page and 'class="site-header"' in page
        forbidden = defaults.permission_denied(rf.get("/"), Exception()).content.decode()
        assert ("Accesso non consentito" if lang == "it" else "Access not allowed") in forbidden


def test_a_refused_form_is_a_403_in_the_site_layout(db):
    response = Client(enforce_csrf_checks=True).post("/esportazioni/", {"layers": ["comuni"]})
    assert response.status_code == 403
    page = response.content.decode()
    assert 'class="site-header"' in page and "ricarica la pagina" in page


def test_healthz_reports_the_database_and_the_worker(client):
    from django.db import connection

    with connection.cursor() as cur:  # procrastinate's table of live workers
        cur.execute("DELETE FROM procrastinate_workers")
        assert client.get("/healthz").json() == {"status": "ok", "database": "up", "worker": "down"}
        cur.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now() - interval '1 hour')")
        assert client.get("/healthz").json()["worker"] == "down"
        cur.execute("INSERT INTO procrastinate_workers (last_heartbeat) VALUES (now())")
        assert client.get("/healthz").json()["worker"] == "up"
    assert client.get("/healthz")["Cache-Control"] == "no-store"

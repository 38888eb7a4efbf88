"""Access rules of the registry hold on /ows: what a user may not see is neither listed nor served."""

import pytest
from owslib.wms import WebMapService

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("ogc_data")]
CAPS = {"SERVICE": "WMS", "VERSION": "1.3.0", "REQUEST": "GetCapabilities"}
RESTRICTED = ("riservato_autenticati", "riservato_gruppo", "non_pubblicato")


def _names(answer) -> set[str]:
    """The layer names of a WMS 1.3.0 capabilities answer, as OWSLib (QGIS' and scripts' client) reads them."""
    assert answer.status_code == 200, answer.content[:400]
    return set(WebMapService("http://testserver/ows", version="1.3.0", xml=answer.content).contents)


def test_anonymous_sees_only_public_published_layers(client):
    """An anonymous client lists the public layers only."""
    names = _names(client.get("/ows", CAPS))
    assert {"ambiti_trasformazione", "comuni"} <= names
    assert names.isdisjoint(RESTRICTED)


@pytest.mark.parametrize(
    ("username", "visible", "hidden"),
    [
        ("analista", {"riservato_autenticati"}, {"riservato_gruppo", "non_pubblicato"}),
        ("pianificatore", {"riservato_autenticati", "riservato_gruppo"}, {"non_pubblicato"}),
    ],
)
def test_credentials_open_what_the_registry_allows(client, basic_auth, username, visible, hidden):
    """QGIS' Basic credentials unlock authenticated and group layers; unpublished ones stay hidden."""
    names = _names(client.get("/ows", CAPS, **basic_auth(username)))
    assert visible <= names
    assert names.isdisjoint(hidden)


@pytest.mark.parametrize("layer", RESTRICTED)
def test_restricted_layers_are_not_served_by_name(client, layer):
    """Asking for a hidden layer by name draws nothing and returns no feature: an OGC exception instead."""
    getmap = client.get(
        "/ows",
        {
            "SERVICE": "WMS",
            "VERSION": "1.3.0",
            "REQUEST": "GetMap",
            "LAYERS": layer,
            "STYLES": "",
            "CRS": "EPSG:32632",
            "BBOX": "500000,5020000,530000,5050000",
            "WIDTH": 64,
            "HEIGHT": 64,
            "FORMAT": "image/png",
        },
    )
    assert not getmap["Content-Type"].startswith("image/")
    assert b"ServiceException" in getmap.content
    getfeature = client.get(
        "/ows",
        {"SERVICE": "WFS", "VERSION": "2.0.0", "REQUEST": "GetFeature", "TYPENAMES": layer, "OUTPUTFORMAT": "geojson"},
    )
    assert b"ExceptionReport" in getfeature.content
    assert b'"features"' not in getfeature.content


def test_session_users_see_their_layers_too(client):
    """A user logged in to the portal (browser session) gets the same layers as with Basic credentials."""
    client.login(username="analista", password="una-password-lunga-123")  # noqa: S106
    assert "riservato_autenticati" in _names(client.get("/ows", CAPS))


def test_wrong_password_is_refused_not_downgraded(client):
    """Wrong credentials get 401 (so QGIS asks again), not a silently anonymous answer."""
    import base64

    token = base64.b64encode(b"analista:sbagliata").decode()
    answer = client.get("/ows", CAPS, HTTP_AUTHORIZATION=f"Basic {token}")
    assert answer.status_code == 401
    assert "Basic" in answer["WWW-Authenticate"]


def test_capabilities_never_show_the_database_connection(client, basic_auth):
    """No connection string, user or password leaks into any answer."""
    text = client.get("/ows", CAPS, **basic_auth("pianificatore")).content.decode()
    assert "dbname" not in text and "password" not in text and "CONNECTION" not in text


def test_help_page_gives_the_service_url(client):
    """The QGIS help page shows the /ows address to copy and the layer names available to the user."""
    answer = client.get("/servizi/ogc/", {"layer": "ambiti_trasformazione"})
    text = answer.content.decode()
    assert answer.status_code == 200
    assert "http://testserver/ows" in text
    assert "layers=ambiti_trasformazione" in text
    assert "riservato_autenticati" not in text


def _live(url, headers=None):
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=30) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def test_live_server_applies_the_same_rules_on_both_paths(ows_server):
    """Anonymous GETs (lean path) and credentialed ones (full Django stack) see what the registry allows."""
    import base64

    caps = f"{ows_server}/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities"
    status, anonymous = _live(caps)
    assert status == 200 and "<Name>comuni</Name>" in anonymous and "riservato" not in anonymous
    assert f'xlink:href="{ows_server}/ows?' in anonymous  # the online resource is this server
    token = base64.b64encode(b"pianificatore:una-password-lunga-123").decode()
    status, member = _live(caps, {"Authorization": f"Basic {token}"})
    assert status == 200 and "<Name>riservato_gruppo</Name>" in member
    status, _body = _live(caps, {"Host": "evil.example"})
    assert status == 400


def test_layer_page_links_to_the_services_and_the_export(client):
    """The catalogue page of a layer offers WMS, WFS, the QGIS instructions and the GeoPackage export."""
    text = client.get("/catalogo/ambiti_trasformazione/").content.decode()
    assert "http://testserver/ows?SERVICE=WMS&amp;VERSION=1.3.0&amp;REQUEST=GetCapabilities" in text
    assert "SERVICE=WFS" in text
    assert "/servizi/ogc/?layer=ambiti_trasformazione" in text
    assert "/esportazioni/?layer=ambiti_trasformazione" in text


def test_publishing_through_the_registry_serves_the_layer_at_once(client, django_db_blocker):
    """A layer published with the registry's action appears in the capabilities without a restart."""
    from layers import actions
    from layers.models import Layer

    with django_db_blocker.unblock():
        draft = Layer.objects.get(slug="non_pubblicato")
        assert "non_pubblicato" not in _names(client.get("/ows", CAPS))
        from django.contrib.auth.models import User

        admin = User.objects.create_superuser("admin-ogc", password="una-password-lunga-123")  # noqa: S106
        actions.publish(draft, admin, via="test")
        try:
            assert "non_pubblicato" in _names(client.get("/ows", CAPS))
        finally:
            actions.unpublish(draft, admin, via="test")
            admin.delete()
    assert "non_pubblicato" not in _names(client.get("/ows", CAPS))

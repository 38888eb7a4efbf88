"""/api/openapi.json describes the whole JSON API, and the API's old English paths redirect to the new ones."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import LocalePrefixPattern

JSON_SUFFIXES = (".json", ".geojson")


def _routes(patterns=None, prefix=""):
    """(path, view) of every route of the URLconf; language-prefixed routes without their prefix."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        part = "" if isinstance(p.pattern, LocalePrefixPattern) else str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + part)
        elif isinstance(p, URLPattern):
            yield "/" + prefix + part, p.callback


def _shape(path: str) -> str:
    """A path with every parameter, Django's <conv:name> or OpenAPI's {name}, as {}."""
    return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)


@pytest.fixture
def documented(client):
    doc = client.get("/api/openapi.json").json()
    base = "/api"
    shapes = set()
    for path, item in doc["paths"].items():
        server = (item.get("servers") or [{"url": base}])[0]["url"].rstrip("/")
        shapes.add(_shape((base if server.endswith("/api") else server) + path))
    return shapes


def _json_routes():
    """Every route under /api/ and every .json/.geojson route elsewhere, old paths (redirects) and the
    OGC API (its own description at /ogcapi/api) left out."""
    for path, view in _routes():
        if hasattr(view, "moved_to") or path.startswith("/ogcapi/"):
            continue
        if path.startswith("/api/") or path.endswith(JSON_SUFFIXES):
            yield path


def test_every_json_route_is_in_openapi(documented):
    routes = list(_json_routes())
    assert len(routes) > 30  # the walk found the API (not an empty URLconf)
    missing = sorted(p for p in routes if _shape(p) not in documented)
    assert missing == [], f"JSON routes missing from /api/openapi.json: {missing}"


def test_every_documented_path_is_a_route(documented):
    routes = {_shape(p) for p, view in _routes() if not hasattr(view, "moved_to")}
    assert sorted(documented - routes) == []


OLD_TO_NEW = [
    ("/api/layers", "/api/strati"),
    (
        "/api/layers/realizzazioni/features?comune=015146&limit=5",
        "/api/strati/realizzazioni/elementi?comune=015146&limit=5",
    ),
    ("/api/layers/realizzazioni/extent?zona=nord-ovest", "/api/strati/realizzazioni/estensione?zona=nord-ovest"),
    (
        "/api/identify?lon=9.19&lat=45.46&layers=realizzazioni",
        "/api/identifica?lon=9.19&lat=45.46&layers=realizzazioni",
    ),
    ("/api/summary?zona=nord-ovest", "/api/riepilogo?zona=nord-ovest"),
    ("/api/compare?a=comune:015146&b=zona:sud-ovest", "/api/confronto?a=comune:015146&b=zona:sud-ovest"),
    ("/api/realizzazioni/7/nearby?distance=800", "/api/realizzazioni/7/vicinanze?distance=800"),
    ("/api/opportunita/aree_dismesse/3/nearby", "/api/opportunita/aree_dismesse/3/vicinanze"),
]


@pytest.mark.parametrize(("old", "new"), OLD_TO_NEW)
def test_old_api_paths_redirect_permanently_keeping_the_query(client, old, new):
    response = client.get(old)
    assert response.status_code == 301
    assert response["Location"] == new


def test_old_api_paths_keep_the_method_of_other_requests(client):
    response = client.post("/api/summary?zona=nord-ovest", {"x": "1"})
    assert response.status_code == 308
    assert response["Location"] == "/api/riepilogo?zona=nord-ovest"


@pytest.mark.django_db
def test_a_client_following_the_redirect_gets_the_same_answer(client):
    old = client.get("/api/summary?zona=nord-ovest", follow=True)
    new = client.get("/api/riepilogo?zona=nord-ovest")
    assert old.status_code == new.status_code == 200
    assert old.json() == new.json()

"""Bounded work for anonymous clients: rate limits (429 + Retry-After), API tokens without CSRF."""

import json

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from layers.models import Layer
from remix.models import ApiToken

pytestmark = pytest.mark.django_db


@pytest.fixture
def limits(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "export": (3, 600), "summary": (2, 60), "identify": (2, 60)}
    return settings.RATE_LIMITS


def test_the_nth_export_request_gets_429_with_retry_after(limits, comuni):
    client = Client(REMOTE_ADDR="10.1.0.1")
    for _ in range(3):
        assert client.post("/api/esportazioni/", {"layers": []}).status_code == 400  # refused, but counted
    over = client.post("/api/esportazioni/", {"layers": ["comuni"]})
    assert over.status_code == 429
    seconds = int(over["Retry-After"])
    assert 0 < seconds <= 600
    assert f"riprova tra {seconds} s" in json.loads(over.content)["error"]
    # Another client is not affected; the export form counts against the same limit.
    assert Client(REMOTE_ADDR="10.1.0.2").post("/api/esportazioni/", {"layers": []}).status_code == 400
    page = client.post("/esportazioni/", {"layers": ["comuni"]})
    assert page.status_code == 429 and "riprova tra" in page.content.decode()


def test_summary_and_identify_are_limited_in_english_too(limits, map_data):
    client = Client(REMOTE_ADDR="10.1.0.3", HTTP_ACCEPT_LANGUAGE="en")
    assert [client.get("/api/riepilogo").status_code for _ in range(3)] == [200, 200, 429]
    identify = "/api/identifica?lon=9.19&lat=45.46&layers=realizzazioni"
    assert [client.get(identify).status_code for _ in range(3)][-1] == 429
    english = Client(REMOTE_ADDR="10.1.0.3").get("/en/esportazioni/")  # pages are not limited
    assert english.status_code == 200


def test_the_client_address_behind_the_proxy(settings, limits, comuni):
    """Behind one reverse proxy the client is the last X-Forwarded-For entry, not the proxy."""
    settings.REMIX_PROXY_COUNT = 1
    proxy = Client(REMOTE_ADDR="127.0.0.1")
    for _ in range(3):
        proxy.post("/api/esportazioni/", {"layers": []}, HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert proxy.post("/api/esportazioni/", {}, HTTP_X_FORWARDED_FOR="1.2.3.4").status_code == 429
    # A forged leftmost entry does not buy a new allowance; another real client has its own.
    assert proxy.post("/api/esportazioni/", {}, HTTP_X_FORWARDED_FOR="9.9.9.9, 1.2.3.4").status_code == 429
    assert proxy.post("/api/esportazioni/", {}, HTTP_X_FORWARDED_FOR="5.6.7.8").status_code == 400


@pytest.fixture
def token_user(map_data):
    user = User.objects.create_user("script.qgis", password="una-Password-lunga-42")
    Layer.objects.filter(slug="pgt_aree_dismesse").update(visibility=Layer.Visibility.AUTHENTICATED)
    return user


def test_a_token_client_posts_without_csrf_and_sees_its_layers(token_user, capsys):
    call_command("api_token", "script.qgis", "prova")
    key = capsys.readouterr().out.strip()
    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/api/esportazioni/", {"layers": []}).status_code == 403  # a browser without CSRF token
    with_token = strict.post("/api/esportazioni/", {"layers": []}, HTTP_AUTHORIZATION=f"Token {key}")
    assert with_token.status_code == 400 and "strato" in json.loads(with_token.content)["error"]
    listed = '"pgt_aree_dismesse"'
    assert listed not in strict.get("/api/strati").content.decode()
    assert listed in strict.get("/api/strati", HTTP_AUTHORIZATION=f"Bearer {key}").content.decode()
    assert ApiToken.objects.get().last_used_at is not None
    assert ApiToken.objects.get().digest != key and key not in str(ApiToken.objects.values_list())


def test_a_wrong_or_expired_token_is_401(token_user):
    token, key = ApiToken.issue(token_user, "scaduto")
    assert Client().get("/api/strati", HTTP_AUTHORIZATION="Token sbagliato").status_code == 401
    ApiToken.objects.filter(pk=token.pk).update(expires_at="2000-01-01T00:00Z")
    assert Client().get("/api/strati", HTTP_AUTHORIZATION=f"Token {key}").status_code == 401


def test_openapi_documents_token_auth_exports_and_429(client, db):
    doc = json.loads(client.get("/api/openapi.json").content)
    assert doc["components"]["securitySchemes"]["tokenAuth"]["name"] == "Authorization"
    assert "429" in doc["paths"]["/esportazioni/"]["post"]["responses"]
    assert "429" in doc["paths"]["/riepilogo"]["get"]["responses"]

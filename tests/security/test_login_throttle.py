"""Brute force on every way in: the delivery login form, the admin login, HTTP Basic on /ows.

One throttle (django-axes) counts the failures of all three, per username and per client address;
a lock ends after the cool-off and the failure records do not grow without bound.
"""

import base64

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "una-Password-lunga-42"


@pytest.fixture
def alice():
    return User.objects.create_user("alice", "alice@example.org", PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def bob():
    return User.objects.create_user("bob", "bob@example.org", PASSWORD)


def _login_form(client, username, password, ip="10.0.0.1"):
    return client.post(reverse("consegne:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def _admin(client, username, password, ip="10.0.0.1"):
    return client.post(
        reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip
    )


def _ows(client, username, password, ip="10.0.0.1"):
    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    return client.get(
        "/ows?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities", REMOTE_ADDR=ip, HTTP_AUTHORIZATION=f"Basic {token}"
    )


PATHS = {"login form": _login_form, "admin": _admin, "ows basic": _ows}
REFUSED = {"login form": 200, "admin": 200, "ows basic": 401}


@pytest.mark.parametrize("path", PATHS)
def test_brute_force_is_locked_out_even_with_the_right_password(client, alice, settings, path):
    attempt = PATHS[path]
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, "alice", "sbagliata").status_code == REFUSED[path]
    locked = attempt(client, "alice", "sbagliata")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) > 0
    # The right password does not get through while the lock lasts.
    response = attempt(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert "Troppi tentativi" in response.content.decode()


def test_one_throttle_counts_the_failures_of_every_path(client, alice, settings):
    """Spreading guesses over the three ways in does not multiply the attempts an attacker gets."""
    paths = list(PATHS.values())
    for i in range(settings.AXES_FAILURE_LIMIT - 1):
        paths[i % 3](client, "alice", "sbagliata")
    assert _ows(client, "alice", "sbagliata").status_code == 429
    assert _admin(client, "alice", PASSWORD).status_code == 429


def test_locked_per_address_whatever_the_username(client, alice, bob, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login_form(client, f"nobody{i}", "sbagliata", ip="10.9.9.9")
    # Another username from the same address is refused; the same user from elsewhere gets in.
    assert _login_form(client, "bob", PASSWORD, ip="10.9.9.9").status_code == 429
    assert _login_form(client, "bob", PASSWORD, ip="10.1.1.1").status_code == 302


def test_locked_per_username_whatever_the_address(client, alice, bob, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login_form(client, "alice", "sbagliata", ip=f"10.0.1.{i}")
    assert _login_form(client, "alice", PASSWORD, ip="10.0.2.1").status_code == 429
    assert _login_form(client, "bob", PASSWORD, ip="10.0.2.1").status_code == 302


def test_the_lock_ends_after_the_cool_off_and_old_records_are_deleted(client, alice, settings):
    for i in range(settings.AXES_FAILURE_LIMIT):
        _login_form(client, "alice", "sbagliata", ip=f"10.0.3.{i}")
    assert _login_form(client, "alice", PASSWORD).status_code == 429
    assert AccessAttempt.objects.count() > 0
    # The attacker stops: once the cool-off has passed the real user gets in again.
    past = AccessAttempt.objects.first().attempt_time - settings.AXES_COOLOFF_TIME
    AccessAttempt.objects.update(attempt_time=past)
    assert _login_form(client, "alice", PASSWORD).status_code == 302
    # Expired failure records are removed, not kept for ever.
    assert not AccessAttempt.objects.filter(attempt_time__lte=past).exists()

"""Shared fixtures: datasets loaded through the real ETL into the real PostGIS test database."""

import contextlib

import pytest
from django.http import HttpRequest
from django.test import Client

from background.testing import in_memory
from etl import pipeline
from etl.declarations import get_source
from tests.background.conftest import supervised_worker  # noqa: F401 - a real, supervised worker for any test


@pytest.fixture(autouse=True)
def jobs_in_memory(request):
    """Background jobs go to procrastinate's in-memory queue; tests run them with
    ``background.testing.run_jobs()``. Tests marked ``real_jobs`` use the database and real workers."""
    if request.node.get_closest_marker("real_jobs"):
        yield None
        return
    with in_memory() as app:
        yield app


_client_login = Client.login


def _login_with_a_request(self, **credentials):
    """django-axes throttles every authenticate() call and needs the request to count it by address;
    the test client's login() has none, so it gets an empty one from 127.0.0.1."""
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "127.0.0.1"
    credentials.setdefault("request", request)
    return _client_login(self, **credentials)


Client.login = _login_with_a_request


@pytest.fixture(autouse=True)
def _fresh_rate_limits(request, django_db_blocker):
    """Rate-limit counters live in a cache table that the flush of transactional tests leaves alone:
    each test that used the database starts with none."""
    yield
    if request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(request.fixturenames):
        from django.core.cache import caches
        from django.db import DatabaseError

        with django_db_blocker.unblock(), contextlib.suppress(DatabaseError):
            caches["shared"].clear()


@pytest.fixture
def load_source(db):
    """Load a declared source through the ETL, as `make run` does."""

    def load(source_id: str, **kwargs):
        return pipeline.run(get_source(source_id), run_by="test", **kwargs)

    return load


@pytest.fixture
def comuni(load_source):
    """The 133 comuni of CMM and their zone omogenee."""
    return load_source("comuni")


@pytest.fixture
def map_data(comuni):
    """The real comuni plus the synthetic domain rows and registry layers the map tests draw."""
    from tests.mappature.factories import make_domain, make_layers

    make_domain()
    return make_layers()


@pytest.fixture
def realizzazioni(comuni, load_source):
    """The real Realizzazioni loaded by the ETL, the registry synced; returns the shipped rows (tests.shipped)."""
    from layers.sync import sync
    from tests.shipped import shipped_rows

    load_source("realizzazioni")
    sync()
    return shipped_rows()

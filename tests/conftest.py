"""Shared fixtures: datasets loaded through the real ETL into the real PostGIS test database."""

import pytest

from background.testing import in_memory
from etl import pipeline
from etl.sources import get_source
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

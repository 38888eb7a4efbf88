"""Shared fixtures: datasets loaded through the real ETL into the real PostGIS test database."""

import pytest

from etl import pipeline
from etl.sources import get_source


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

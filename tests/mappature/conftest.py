"""Fixtures of the dynamic-maps tests: the real comuni plus synthetic domain rows and registry layers."""

import pytest

from .factories import make_domain, make_layers


@pytest.fixture
def map_data(comuni):
    make_domain()
    return make_layers()

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def italian():
    """Messages are asserted in Italian whatever language an earlier request left active."""
    with translation.override("it"):
        yield

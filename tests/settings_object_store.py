"""Settings of a test process whose published rasters sit in an object store (tests/object_store.py)."""

from remix.settings import *  # noqa: F403
from remix.settings import STORAGES
from tests.object_store import RASTERS

STORAGES = {**STORAGES, "rasters": RASTERS}

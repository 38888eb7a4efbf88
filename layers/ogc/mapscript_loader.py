"""Loads Debian's ``mapscript`` into the virtual environment without exposing all of dist-packages.

The venv does not see the system site-packages (on purpose); the binding is built for the
system Python 3.11, which has the same ABI as the venv's, so only that one package is imported
from its Debian location (``REMIX["MAPSCRIPT_DIR"]``).
"""

from __future__ import annotations

import importlib.util
import sys
import threading
from functools import cache
from pathlib import Path

from .. import conf
from .errors import MapServerUnavailable

# The module is in sys.modules before it has finished executing: without this lock, the web map's first
# burst of concurrent WMS tiles (threaded servers) got a half-loaded module ("no attribute 'mapObj'").
_load_lock = threading.Lock()


@cache
def mapscript():
    """The ``mapscript`` module (imported once per process, by one thread while the others wait)."""
    with _load_lock:
        return _load()


def _load():
    if "mapscript" in sys.modules:
        return sys.modules["mapscript"]
    try:
        import mapscript as module  # a venv or a system Python that sees it already

        return module
    except ImportError:
        pass
    package = Path(conf.MAPSCRIPT_DIR)
    init = package / "__init__.py"
    if not init.exists():
        raise MapServerUnavailable(f"mapscript not found in {package}: install python3-mapscript")
    spec = importlib.util.spec_from_file_location("mapscript", init, submodule_search_locations=[str(package)])
    module = importlib.util.module_from_spec(spec)
    sys.modules["mapscript"] = module
    try:
        spec.loader.exec_module(module)
    except ImportError as err:
        del sys.modules["mapscript"]
        raise MapServerUnavailable(f"mapscript in {package} cannot be loaded: {err}") from err
    return module

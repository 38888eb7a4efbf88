"""Settings: how every app states its own, and the few the whole project shares.

Each app with settings has a ``conf.py`` that states each of them once, with its default, in a
``DEFAULTS`` dict; ``remix/settings.py`` gives the project's values in ``settings.REMIX``. Code reads
``conf.NAME`` (``from mappature import conf``): the project's value, else the default. It is looked
up at each access, never copied at import, so ``override_settings(REMIX=…)`` in tests takes effect.
A default that depends on other settings is a callable, called when the value is read.

This module imports Django only: every app may import it (like ``remix.db``).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

_MISSING = object()


def reader(module: str, defaults: dict):
    """The ``__getattr__`` of an app's conf module: ``conf.NAME`` → ``settings.REMIX[NAME]`` or the default."""

    def __getattr__(name: str):
        if name not in defaults:
            raise AttributeError(f"module {module!r} states no setting {name!r}")
        value = settings.REMIX.get(name, _MISSING)
        if value is _MISSING:
            default = defaults[name]
            return default() if callable(default) else default
        return value

    return __getattr__


DEFAULTS = {
    # Scratch space of this machine (ETL downloads, delivery unpacking, exports being written).
    "WORK_DIR": lambda: Path(settings.BASE_DIR) / "var" / "work",
    # Storage CRS of every geometry: WGS84 / UTM 32N, as Regione Lombardia's PGT mosaic.
    "STORAGE_SRID": 32632,
}

__getattr__ = reader(__name__, DEFAULTS)


def proxy_count() -> int:
    """``REMIX_PROXY_COUNT``: reverse proxies in front of the app that append to X-Forwarded-For (0: none)."""
    return getattr(settings, "REMIX_PROXY_COUNT", 0)


def shared_cache():
    """The cache every app server shares (a database table, ``settings.CACHES["shared"]``; the default cache
    where a deployment names none): what one gunicorn process computes or signals, the others read."""
    from django.core.cache import caches

    return caches["shared" if "shared" in settings.CACHES else "default"]

"""One exception root per app: every exception class an app defines descends from its ``<app>/errors.py`` root."""

import importlib
import inspect
import pkgutil

import pytest

ROOTS = {
    "consegne": "consegne.errors.ConsegneError",
    "etl": "etl.errors.EtlError",
    "incontri": "incontri.errors.IncontriError",
    "indicatori": "indicatori.errors.IndicatoriError",
    "layers": "layers.errors.LayersError",
    "mappature": "mappature.errors.MappatureError",
}


def _load(dotted: str):
    module, name = dotted.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)


def _modules(app: str):
    package = importlib.import_module(app)
    yield package
    for info in pkgutil.walk_packages(package.__path__, f"{app}."):
        if ".migrations." in info.name or ".management." in info.name:
            continue
        yield importlib.import_module(info.name)


@pytest.mark.parametrize("app", sorted(ROOTS))
def test_every_exception_of_an_app_descends_from_its_root(app):
    root = _load(ROOTS[app])
    defined = {
        f"{module.__name__}.{name}": cls
        for module in _modules(app)
        for name, cls in vars(module).items()
        if inspect.isclass(cls) and issubclass(cls, BaseException) and cls.__module__ == module.__name__
    }
    assert root in defined.values()
    strays = sorted(name for name, cls in defined.items() if not issubclass(cls, root))
    assert strays == []


@pytest.mark.parametrize("app", sorted(ROOTS))
def test_each_root_derives_from_exception_directly(app):
    root = _load(ROOTS[app])
    assert root.__bases__ == (Exception,)

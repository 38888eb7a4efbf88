"""ETL test helpers: scratch dirs for archives/rasters, and sources declared inline for fixtures."""

from pathlib import Path

import pytest

from etl import pipeline
from etl.declarations import parse_source

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("synthetic")


@pytest.fixture(autouse=True)
def etl_dirs(settings, tmp_path, synthetic_dir):
    """Archives and rasters of a test go to its own folder; generated files are shared (cached)."""
    settings.REMIX = {
        **settings.REMIX,
        "ETL_ARCHIVE_DIR": tmp_path / "archive",
        "RASTER_DIR": tmp_path / "rasters",
        "SYNTHETIC_DIR": synthetic_dir,
    }


def declare(**spec):
    """A source declared like a YAML file, for loading a fixture into a real model."""
    base = {"id": "prova", "title": "Prova", "theme": "riferimenti", "reader": "file"}
    spec = {**base, **spec}
    return parse_source(spec, digest=str(sorted(spec.items(), key=str)))


@pytest.fixture
def load(db):
    def run(source, **kwargs):
        return pipeline.run(source, run_by="test", **kwargs)

    return run


def aree_source(location: str, **extra):
    """Polygons into ThematicFeature, keyed by CODICE."""
    return declare(
        id="prova-aree",
        location=location,
        target="mappature.ThematicFeature",
        geometry_type="MultiPolygon",
        natural_key=["layer", "feature_key"],
        scope="layer",
        required=["feature_key"],
        fields={"layer": {"value": "prova"}, "feature_key": "CODICE", "name": "NOME", "attrs": {"collect": "*"}},
        **extra,
    )


def stazioni_source(location: str, **extra):
    extra = {"reader": "file", **extra}
    return declare(
        id="prova-stazioni",
        location=location,
        target="mappature.Stazione",
        natural_key="code",
        required=["code", "name"],
        fields={"code": "CODICE", "name": "NOME", "istat_code": "ISTAT"},
        **extra,
    )

"""Fixtures: the real shipped files loaded through the real ETL (indicators computed by its signal)."""

import pytest

INPUTS = (
    "comuni",
    "ispra_consumo_suolo",
    "ispra_suolo_stock",
    "istat_popolazione_eta",
    "istat_popolazione_totale",
    "pnrr_comuni",
    "pnrr_progetti",
    "realizzazioni",
    "realizzazioni_pnrr",
    "stazioni",
    "stazioni_metro",
    "milano_nil",
)


@pytest.fixture
def indicator_inputs(load_source):
    """The real inputs of the indicators (no synthetic source), loaded as `make data` loads them."""
    return {sid: load_source(sid) for sid in INPUTS}


@pytest.fixture
def everything(load_source):
    """Every declared source (synthetic PGT, PTM and raster included), in dependency order."""
    from etl.declarations import all_sources
    from tests.mappature.factories import make_layers

    results = {sid: load_source(sid) for sid in all_sources()}
    make_layers()
    return results

"""Fixtures of the incontri tests: a small hand-made world over the real comuni."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import MultiPoint, MultiPolygon, Point, Polygon
from django.utils import translation

from mappature.models import Comune, PgtAtto, PgtFeature, Realizzazione, Stazione


@pytest.fixture(autouse=True)
def italian():
    with translation.override("it"):
        yield


def square(x: float, y: float, half: float) -> MultiPolygon:
    return MultiPolygon(Polygon.from_bbox((x - half, y - half, x + half, y + half)), srid=32632)


@pytest.fixture
def world(comuni):
    """In one comune: an ambito di rigenerazione far from a project and an AT (productive) next to it;
    a station; a social-housing Realizzazione."""
    comune = Comune.objects.get(istat_code="015002")  # Abbiategrasso
    c = comune.geom.point_on_surface
    atto = PgtAtto.objects.create(comune=comune, state=PgtAtto.State.VIGENTE, spec_version="test")
    far = PgtFeature.objects.create(
        atto=atto,
        istat_code=comune.istat_code,
        layer="ambiti_rigenerazione",
        feature_key="AR1",
        geom=square(c.x + 3000, c.y, 100),
        attrs={"NOME_AMB": "AR lontano", "CATEGORIA": "1", "TIPO_INT": "2"},
    )
    near = PgtFeature.objects.create(
        atto=atto,
        istat_code=comune.istat_code,
        layer="ambiti_trasformazione",
        feature_key="AT1",
        geom=square(c.x + 200, c.y, 100),
        attrs={"NOME_AMB": "AT vicino", "FUN_PREV1": "200", "SUP_TERR": 40000.0},
    )
    Stazione.objects.create(
        code="S1", name="Stazione prova", istat_code=comune.istat_code, geom=Point(c.x, c.y + 3000, srid=32632)
    )
    project = Realizzazione.objects.create(
        code="T1",
        programme="Prova",
        title="Case popolari",
        comuni_istat=[comune.istat_code],
        domains=["abitativo"],
        amount_eur=100000,
        geom=MultiPoint(Point(c.x, c.y), srid=32632),
    )
    return {"comune": comune, "atto": atto, "far": far, "near": near, "project": project, "centre": c}

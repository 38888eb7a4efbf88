"""Test data for the dynamic maps: the real 133 comuni and layer declarations, synthetic domain rows.

Until the ETL helper's loaders land, tests create the domain rows they need with the ORM; every
row is flagged synthetic, as users would see it.
"""

from decimal import Decimal

from django.contrib.gis.geos import MultiPoint, MultiPolygon, Point

from layers.models import Layer
from layers.sync import sync
from mappature.models import Comune, PgtAtto, PgtFeature, Realizzazione, Stazione, ThematicFeature

# Comuni that get a richer set of features (Milano, Rho, Binasco, Sesto San Giovanni, Legnano).
RICH = ("015146", "015182", "015024", "015209", "015118")

PROGRAMMES = ("PNRR M5C2 Rigenerazione urbana", "Bando Periferie", "PINQuA")
SOURCES = (("PNRR",), ("Bando Periferie", "Fondi comunali"), ("PNRR", "Regione Lombardia"))


def make_layers() -> list[Layer]:
    """The registry rows of the real declarations (layers/declarations/*.yaml), published as declared."""
    sync()
    return list(Layer.objects.all())


def _disc(point: Point, radius: float) -> MultiPolygon:
    return MultiPolygon(point.buffer(radius, quadsegs=4), srid=32632)


def make_domain() -> dict:
    """One PGT in force per comune with an ambito di trasformazione each, plus richer data in RICH."""
    comuni = list(Comune.objects.order_by("istat_code"))
    atti = PgtAtto.objects.bulk_create(
        [PgtAtto(comune=c, state=PgtAtto.State.VIGENTE, synthetic=True, spec_version="test") for c in comuni]
    )
    features, thematic, stations, interventions = [], [], [], []
    for n, (comune, atto) in enumerate(zip(comuni, atti, strict=True)):
        centre = comune.geom.point_on_surface
        features.append(
            PgtFeature(
                atto=atto,
                istat_code=comune.istat_code,
                layer="ambiti_trasformazione",
                feature_key=f"AT{n:03d}",
                geom=_disc(centre, 150),
                attrs={"NOME_AMB": f"AT {comune.name}", "SUP_TERR": 70000.0},
            )
        )
        if comune.istat_code not in RICH:
            continue
        east = Point(centre.x + 600, centre.y, srid=32632)
        features.append(
            PgtFeature(
                atto=atto,
                istat_code=comune.istat_code,
                layer="aree_dismesse",
                feature_key=f"AD{n:03d}",
                geom=_disc(east, 100),
                attrs={"TIPO": "1", "DTIPO": f"Area dismessa {comune.name}"},
            )
        )
        features.append(
            PgtFeature(
                atto=atto,
                istat_code=comune.istat_code,
                layer="ambiti_rigenerazione",
                feature_key=f"AR{n:03d}",
                geom=_disc(Point(centre.x, centre.y + 600), 120),
                attrs={"NOME_AMB": f"Rigenerazione {comune.name}"},
            )
        )
        station = Point(centre.x - 500, centre.y, srid=32632)
        stations.append(
            Stazione(code=f"S{n:03d}", name=f"Stazione di {comune.name}", istat_code=comune.istat_code, geom=station)
        )
        thematic.append(
            ThematicFeature(
                layer="ptm_lum",
                feature_key=f"L{n:03d}",
                name=f"LUM {comune.name}",
                istat_code=comune.istat_code,
                attrs={"LIVELLO": 2},
                synthetic=True,
                geom=MultiPolygon(station.buffer(400, quadsegs=8), srid=32632),
            )
        )
        thematic.append(
            ThematicFeature(
                layer="remix_incubatore",
                feature_key=f"I{n:03d}",
                name=f"Incubatore {comune.name}",
                istat_code=comune.istat_code,
                synthetic=True,
                geom=_disc(Point(centre.x, centre.y - 700, srid=32632), 90),
            )
        )
        for k in range(2):
            i = len(interventions)
            interventions.append(
                Realizzazione(
                    code=f"R{i:03d}",
                    title=f"Intervento {k + 1} a {comune.name}",
                    programme=PROGRAMMES[i % 3],
                    funding_sources=list(SOURCES[i % 3]),
                    comuni_istat=[comune.istat_code],
                    status="in corso",
                    amount_eur=Decimal(1_000_000 * (i + 1)),
                    cofunding_eur=Decimal(100_000),
                    domains=["casa"],
                    year_start=2021 + k,
                    year_end=2026,
                    synthetic=True,
                    geom=MultiPoint(Point(centre.x + 50 * k, centre.y + 50, srid=32632), srid=32632) if k else None,
                )
            )
    PgtFeature.objects.bulk_create(features)
    Stazione.objects.bulk_create(stations)
    ThematicFeature.objects.bulk_create(thematic)
    Realizzazione.objects.bulk_create(interventions)
    return {"comuni": len(comuni), "interventions": len(interventions)}

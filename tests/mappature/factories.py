"""Test data for the dynamic maps, built with the ORM on top of the real 133 comuni (synthetic rows).

Until the registry and ETL helpers' declarations land, tests create the Layer rows and domain
rows they need here; every row is flagged synthetic, as users would see it.
"""

from decimal import Decimal

from django.contrib.gis.geos import MultiPoint, MultiPolygon, Point

from layers.models import Layer
from mappature.models import Comune, PgtAtto, PgtFeature, Realizzazione, Stazione, ThematicFeature

# Comuni that get a richer set of features (Milano, Rho, Binasco, Sesto San Giovanni, Legnano).
RICH = ("015146", "015182", "015024", "015209", "015118")

LAYERS = (
    # slug, source view, theme, geometry, title, style
    ("realizzazioni", "map_realizzazioni", "rigenerazione", "MultiPoint", "Realizzazioni", {"color": "#d7301f"}),
    ("ambiti-trasformazione", "pgt_ambiti_trasformazione", "pgt", "MultiPolygon", "Ambiti di trasformazione",
     {"color": "#e6550d"}),
    ("aree-dismesse", "pgt_aree_dismesse", "pgt", "MultiPolygon", "Aree dismesse", {"color": "#756bb1"}),
    ("ambiti-rigenerazione", "pgt_ambiti_rigenerazione", "pgt", "MultiPolygon", "Ambiti di rigenerazione",
     {"color": "#31a354"}),
    ("stazioni", "map_stazioni", "ptm", "Point", "Stazioni", {"color": "#252525"}),
    ("ptm-lum", "map_ptm_lum", "ptm", "Polygon", "Luoghi urbani per la mobilità (LUM)", {"color": "#3182bd"}),
    ("remix-incubatore", "map_remix_incubatore", "rigenerazione", "Polygon", "Incubatore Re.mix",
     {"color": "#fd8d3c"}),
)

PROGRAMMES = ("PNRR M5C2 Rigenerazione urbana", "Bando Periferie", "PINQuA")
SOURCES = (("PNRR",), ("Bando Periferie", "Fondi comunali"), ("PNRR", "Regione Lombardia"))


def make_layers(visibility: str = Layer.Visibility.PUBLIC) -> list[Layer]:
    """Published registry rows for the map views (synthetic where the data is)."""
    out = []
    for i, (slug, source, theme, geom, title, style) in enumerate(LAYERS):
        layer, _ = Layer.objects.update_or_create(slug=slug, defaults={
            "title_it": title, "title_en": title, "theme": theme, "source": source, "geometry_type": geom,
            "style": style, "published": True, "visibility": visibility, "synthetic": slug != "stazioni",
            "sort_order": i, "data_version": 1,
        })
        out.append(layer)
    return out


def _disc(point: Point, radius: float) -> MultiPolygon:
    return MultiPolygon(point.buffer(radius, quadsegs=4), srid=32632)


def make_domain() -> dict:
    """One PGT in force per comune with an ambito di trasformazione each, plus richer data in RICH."""
    comuni = list(Comune.objects.order_by("istat_code"))
    atti = PgtAtto.objects.bulk_create([
        PgtAtto(comune=c, state=PgtAtto.State.VIGENTE, synthetic=True, spec_version="test") for c in comuni
    ])
    features, thematic, stations, interventions = [], [], [], []
    for n, (comune, atto) in enumerate(zip(comuni, atti, strict=True)):
        centre = comune.geom.point_on_surface
        features.append(PgtFeature(atto=atto, istat_code=comune.istat_code, layer="ambiti_trasformazione",
                                   feature_key=f"AT{n:03d}", geom=_disc(centre, 150),
                                   attrs={"NOME_AMB": f"AT {comune.name}", "SUP_TERR": 70000.0}))
        if comune.istat_code not in RICH:
            continue
        east = Point(centre.x + 600, centre.y, srid=32632)
        features.append(PgtFeature(atto=atto, istat_code=comune.istat_code, layer="aree_dismesse",
                                   feature_key=f"AD{n:03d}", geom=_disc(east, 100),
                                   attrs={"TIPO": "1", "DTIPO": f"Area dismessa {comune.name}"}))
        features.append(PgtFeature(atto=atto, istat_code=comune.istat_code, layer="ambiti_rigenerazione",
                                   feature_key=f"AR{n:03d}", geom=_disc(Point(centre.x, centre.y + 600), 120),
                                   attrs={"NOME_AMB": f"Rigenerazione {comune.name}"}))
        station = Point(centre.x - 500, centre.y, srid=32632)
        stations.append(Stazione(code=f"S{n:03d}", name=f"Stazione di {comune.name}",
                                 istat_code=comune.istat_code, geom=station))
        thematic.append(ThematicFeature(layer="ptm_lum", feature_key=f"L{n:03d}", name=f"LUM {comune.name}",
                                        istat_code=comune.istat_code, attrs={"level": "2"}, synthetic=True,
                                        geom=station.buffer(400, quadsegs=8)))
        thematic.append(ThematicFeature(layer="remix_incubatore", feature_key=f"I{n:03d}",
                                        name=f"Incubatore {comune.name}", istat_code=comune.istat_code,
                                        synthetic=True, geom=Point(centre.x, centre.y - 700).buffer(90)))
        for k in range(2):
            i = len(interventions)
            interventions.append(Realizzazione(
                code=f"R{i:03d}", title=f"Intervento {k + 1} a {comune.name}", programme=PROGRAMMES[i % 3],
                funding_sources=list(SOURCES[i % 3]), comuni_istat=[comune.istat_code], status="in corso",
                amount_eur=Decimal(1_000_000 * (i + 1)), cofunding_eur=Decimal(100_000), domains=["casa"],
                year_start=2021 + k, year_end=2026, synthetic=True,
                geom=MultiPoint(Point(centre.x + 50 * k, centre.y + 50, srid=32632), srid=32632) if k else None,
            ))
    PgtFeature.objects.bulk_create(features)
    Stazione.objects.bulk_create(stations)
    ThematicFeature.objects.bulk_create(thematic)
    Realizzazione.objects.bulk_create(interventions)
    return {"comuni": len(comuni), "interventions": len(interventions)}

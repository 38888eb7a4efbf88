"""Synthetic PGT, PTM and heat data: complete, inside the real comuni, consistent, deterministic."""

import pytest
import rasterio
from django.db import connection

from etl.declarations import get_source
from etl.synthetic import codelists, pgt
from mappature.models import Comune, PgtAtto, PgtFeature, ThematicFeature
from mappature.pgt_layers import PGT_LAYERS
from remix import db

SMALL = {"scale": 1500}


@pytest.fixture
def pgt_loaded(comuni, load_source):
    return load_source("pgt_sintetico", options=SMALL)


def test_every_comune_gets_one_synthetic_plan_in_force(pgt_loaded):
    assert pgt_loaded.rejected == 0
    atti = PgtAtto.objects.filter(synthetic=True, state="vigente")
    assert atti.count() == Comune.objects.count() == 133
    for layer in ("tessuto_urbano_consolidato", "consumo_suolo"):
        covered = PgtFeature.objects.filter(layer=layer).values("istat_code").distinct().count()
        assert covered == 133, layer


def test_every_regional_layer_is_in_its_view_with_regional_fields(pgt_loaded):
    with connection.cursor() as cur:
        for layer in PGT_LAYERS:
            db.execute(cur, db.compose("SELECT count(*), bool_and(synthetic), min(area_m2) FROM {v}", v=layer.view))
            n, synthetic, min_area = cur.fetchone()
            assert n > 0 and synthetic and min_area > 0, layer.code
        cur.execute("SELECT count(*) FROM pgt_ambiti_trasformazione WHERE nome_amb IS NULL OR sup_terr IS NULL")
        assert cur.fetchone()[0] == 0


def test_features_lie_inside_their_comune(pgt_loaded):
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM mappature_pgtfeature f JOIN mappature_comune c USING (istat_code) "
            "WHERE NOT ST_CoveredBy(f.geom, ST_Buffer(c.geom, 0.5))"
        )
        assert cur.fetchone()[0] == 0
        cur.execute("SELECT DISTINCT GeometryType(geom) FROM mappature_pgtfeature")
        assert [r[0] for r in cur.fetchall()] == ["MULTIPOLYGON"]


def test_code_and_description_pairs_follow_the_code_lists(pgt_loaded):
    for layer, pairs in codelists.PAIRS.items():
        for attrs in PgtFeature.objects.filter(layer=layer).values_list("attrs", flat=True)[:300]:
            assert attrs["SINTETICO"] == "sintetico / synthetic"
            for code_field, desc_field, codes in pairs:
                assert codes[attrs[code_field]] == attrs[desc_field], (layer, attrs)


def test_urban_fabric_and_soil_consumption_agree(pgt_loaded):
    """In every comune, the urbanised land of the carta del consumo di suolo is exactly the TUC."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT t.istat_code, t.area, s.area FROM (SELECT istat_code, sum(area_m2) AS area "
            "FROM pgt_tessuto_urbano_consolidato GROUP BY 1) t JOIN (SELECT istat_code, sum(area_m2) AS area "
            "FROM pgt_consumo_suolo WHERE classe = '1' GROUP BY 1) s USING (istat_code)"
        )
        rows = cur.fetchall()
    assert len(rows) == 133
    for code, tuc, urbanised in rows:
        assert float(tuc) == pytest.approx(float(urbanised), rel=1e-6), code


def test_generation_is_deterministic_and_cached(comuni, settings, tmp_path):
    first = pgt.generate(get_source("pgt_sintetico"), scale=800, seed=7)
    assert pgt.generate(get_source("pgt_sintetico"), scale=800, seed=7) == first  # cached
    settings.REMIX = {**settings.REMIX, "SYNTHETIC_DIR": tmp_path}
    again = pgt.generate(get_source("pgt_sintetico"), scale=800, seed=7)
    other = pgt.generate(get_source("pgt_sintetico"), scale=800, seed=8)
    import pyogrio

    def content(path):
        return [
            pyogrio.read_arrow(str(path), layer=layer)[1].to_pylist() for layer in ("aree_dismesse", "consumo_suolo")
        ]

    assert content(again) == content(first)
    assert content(other) != content(first)


def test_second_load_is_a_no_op_and_scale_changes_the_set(pgt_loaded, load_source):
    assert load_source("pgt_sintetico", options=SMALL).status == "unchanged"
    bigger = load_source("pgt_sintetico", options={"scale": 2500})
    assert bigger.status == "loaded" and bigger.deleted > 0 and bigger.loaded > 0
    assert PgtFeature.objects.count() == bigger.read
    assert PgtAtto.objects.filter(synthetic=True).count() == 133


def test_ptm_layers(comuni, load_source):
    load_source("stazioni")
    for source in ("ptm_lum", "ptm_rete_verde", "ptm_ambiti_agricoli_strategici", "remix_incubatore"):
        result = load_source(source)
        assert result.status == "loaded" and result.rejected == 0, source
    assert ThematicFeature.objects.filter(layer="ptm_lum").count() == 43
    assert not ThematicFeature.objects.filter(synthetic=False).exists()
    with connection.cursor() as cur:  # a LUM circle is centred on its station with the radius of its level
        cur.execute(
            "SELECT (f.attrs->>'RAGGIO_M')::float, sqrt(ST_Area(f.geom) / pi()), "
            "ST_Distance(ST_Centroid(f.geom), s.geom), f.attrs->>'LIVELLO' FROM mappature_thematicfeature f "
            "JOIN mappature_stazione s ON s.code = f.attrs->>'COD_STAZ' WHERE f.layer = 'ptm_lum'"
        )
        for radius, equivalent, offset, level in cur.fetchall():
            assert equivalent == pytest.approx(radius, rel=0.01) and offset < 1
            assert radius == {"1": 520, "2": 350, "3": 200}[level]


def test_heat_anomaly_raster_is_published_in_32632(comuni, load_source, settings):
    result = load_source("sttm1_anomalia_termica")
    assert result.status == "loaded"
    path = settings.REMIX["RASTER_DIR"] / "sttm1_anomalia_termica.tif"
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 32632 and src.res == (100, 100)
        assert src.tags()["SYNTHETIC"] == "sintetico / synthetic"
        data = src.read(1, masked=True)
        milano = Comune.objects.get(istat_code="015146").geom.point_on_surface
        row, col = src.index(milano.x, milano.y)
        assert data[row, col] > data.mean() + data.std()  # the heat island is over Milano
    assert load_source("sttm1_anomalia_termica").status == "unchanged"


def test_wrong_code_description_pairs_are_rejected(comuni, load_source, tmp_path):
    """A delivery in the regional model where a code is unknown or its description is not its own."""
    import numpy as np
    import pyogrio
    import shapely

    path = tmp_path / "consegna.gpkg"
    square = shapely.box(514000, 5034000, 514100, 5034100)
    rows = [
        ("R1", "1", "Rigenerazione urbana"),
        ("R2", "XYZ", "Inventata"),
        ("R3", "1", "Rigenerazione territoriale"),
        ("R4", "2", "rigenerazione territoriale "),
    ]
    cols = {
        "ID": [r[0] for r in rows],
        "ISTAT_COM": ["015146"] * 4,
        "NOME_AMB": ["AR"] * 4,
        "CATEGORIA": [r[1] for r in rows],
        "DCATEGORIA": [r[2] for r in rows],
    }
    pyogrio.raw.write(
        str(path),
        np.array([shapely.to_wkb(square)] * 4, dtype=object),
        [np.array(v, dtype=object) for v in cols.values()],
        list(cols),
        layer="ambiti_rigenerazione",
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:32632",
    )
    result = load_source("pgt_sintetico", location=str(path))
    reasons = dict(result.rejects)
    assert result.loaded == 2 and set(reasons) == {2, 3}
    assert "CATEGORIA/DCATEGORIA: «XYZ»" in reasons[2]
    assert "«1» – «Rigenerazione territoriale»" in reasons[3]
    kept = PgtFeature.objects.get(feature_key="R4")
    assert kept.geom.geom_type == "MultiPolygon"  # a Polygon delivery is stored as MultiPolygon

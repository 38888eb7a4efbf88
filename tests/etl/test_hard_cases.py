"""The files real deliveries bring: other CRSs, old encodings, broken geometries, broken files."""

import pytest
from django.db import connection

from etl.errors import MissingCrs, SourceUnreadable
from etl.models import DatasetVersion
from mappature.models import Stazione, ThematicFeature

from .conftest import FIXTURES, aree_source, declare, stazioni_source


def test_gauss_boaga_shapefile_lands_where_the_wgs84_stations_are(load_source, load):
    """EPSG:3003 coordinates are reprojected to 32632 and agree with the same stations from WGS84."""
    load_source("comuni")
    load_source("stazioni")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT code, ST_X(geom), ST_Y(geom) FROM mappature_stazione WHERE code IN ('S01062', 'S01034', 'S01830')"
        )
        reference = {code: (x, y) for code, x, y in cur.fetchall()}
    with connection.cursor() as cur:  # keep the reference stations, reload them from Gauss-Boaga
        cur.execute("DELETE FROM mappature_stazione")
    result = load(stazioni_source(str(FIXTURES / "stazioni_3003.zip")))
    assert (result.status, result.loaded, result.rejected) == ("loaded", 3, 0)
    for station in Stazione.objects.all():
        assert station.geom.srid == 32632
        x, y = reference[station.code]
        assert station.geom.distance(type(station.geom)(x, y, srid=32632)) < 5.0, station.code


def test_cp1252_dbf_without_cpg_keeps_its_accents(load):
    """No .cpg and no language driver in the .dbf: the bytes are recognised as CP1252."""
    result = load(aree_source(str(FIXTURES / "aree_cp1252.zip")))
    assert result.loaded == 4
    names = set(ThematicFeature.objects.filter(layer="prova").values_list("name", flat=True))
    assert names == {"Cascina Gobbà", "Località Né – Città", "Borgo Ticinèse", "Cassina de' Pecchi"}


def test_missing_prj_is_refused_with_a_clear_message(load):
    with pytest.raises(MissingCrs, match=r"manca il file \.prj"):
        load(stazioni_source(str(FIXTURES / "stazioni_senza_prj.zip")))
    assert not Stazione.objects.exists()
    assert DatasetVersion.objects.get(source_id="prova-stazioni").status == "failed"


def test_declared_crs_makes_a_prj_less_file_loadable(load):
    result = load(stazioni_source(str(FIXTURES / "stazioni_senza_prj.zip"), crs="EPSG:3003"))
    assert result.loaded == 3


def test_invalid_empty_wrong_and_duplicate_geometries(load):
    """A bow-tie is repaired, empty/missing/wrong-type geometries and a repeated key are rejected."""
    result = load(aree_source(str(FIXTURES / "geometrie_difficili.geojson")))
    reasons = dict(result.rejects)
    assert result.loaded == 2
    assert "geometria vuota" in reasons[3] and "geometria vuota" in reasons[4]
    assert "tipo diverso da MULTIPOLYGON" in reasons[5]
    assert "chiave duplicata: già presente alla riga 1" in reasons[6]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT feature_key, ST_IsValid(geom), GeometryType(geom), ST_Area(geom) "
            "FROM mappature_thematicfeature WHERE layer = 'prova' ORDER BY feature_key"
        )
        rows = cur.fetchall()
    assert [r[0] for r in rows] == ["G1", "G2"]
    assert all(valid and kind == "MULTIPOLYGON" and area > 0 for _, valid, kind, area in rows)
    stored = DatasetVersion.objects.get(source_id="prova-aree").rejects.get(row_number=5)
    assert stored.data["NOME"] == "punto in uno strato di poligoni"


@pytest.mark.parametrize("name,reader", [("vuoto.geojson", "file"), ("vuoto.csv", "table")])
def test_empty_file_is_refused(load, name, reader):
    source = (
        aree_source(str(FIXTURES / name))
        if reader == "file"
        else declare(
            id="prova-csv",
            reader="table",
            location=str(FIXTURES / name),
            target="mappature.Stazione",
            natural_key="code",
            fields={"code": "CODICE", "name": "NOME"},
            geometry=None,
        )
    )
    with pytest.raises(SourceUnreadable, match="non contiene elementi"):
        load(source)


def test_truncated_zip_is_refused_and_the_loaded_data_stays(load):
    load(stazioni_source(str(FIXTURES / "stazioni_3003.zip")))
    with pytest.raises(SourceUnreadable, match="non è leggibile"):
        load(stazioni_source(str(FIXTURES / "stazioni_troncato.zip")))
    assert Stazione.objects.count() == 3


def test_xlsx_with_coordinates(load, tmp_path):
    """A spreadsheet with lon/lat columns in a declared CRS."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["CODICE", "NOME", "LON", "LAT"])
    sheet.append(["X1", "Stazione di prova", 9.19, 45.46])
    sheet.append(["X2", "Senza coordinate", None, None])
    book.save(tmp_path / "stazioni.xlsx")
    source = declare(
        id="prova-xlsx",
        reader="table",
        location=str(tmp_path / "stazioni.xlsx"),
        crs="EPSG:4326",
        options={"x": "LON", "y": "LAT"},
        target="mappature.Stazione",
        natural_key="code",
        fields={"code": "CODICE", "name": "NOME"},
    )
    result = load(source)
    assert result.loaded == 1 and "geometria vuota" in dict(result.rejects)[2]
    assert Stazione.objects.get(code="X1").geom.srid == 32632


def test_csv_with_wkt_in_gauss_boaga(load, tmp_path):
    (tmp_path / "aree.csv").write_text(
        "CODICE;NOME;WKT\nW1;Area in Gauss-Boaga;POLYGON((1515000 5030000,1515100 5030000,1515100 5030100,"
        "1515000 5030100,1515000 5030000))\n",
        encoding="cp1252",
    )
    source = aree_source(str(tmp_path / "aree.csv"), crs="EPSG:3003")
    source = declare(**{**_spec(source), "reader": "table", "options": {"wkt": "WKT"}})
    result = load(source)
    assert result.loaded == 1
    feature = ThematicFeature.objects.get(layer="prova", feature_key="W1")
    assert feature.geom.area == pytest.approx(10_000, rel=0.01)


def _spec(source):
    return {
        "id": source.id,
        "location": source.location,
        "target": source.target,
        "crs": source.crs,
        "geometry_type": source.geometry_type,
        "natural_key": list(source.natural_key),
        "scope": list(source.scope),
        "fields": {"layer": {"value": "prova"}, "feature_key": "CODICE", "name": "NOME"},
    }


@pytest.mark.parametrize("epsg", [32632, 3003, 25832, 6707, 7791, 4326])
def test_each_declared_or_detected_crs_lands_in_the_right_place(load, tmp_path, epsg):
    """The Duomo written in each CRS the Region and CMM use ends up at the same 32632 point."""
    import numpy as np
    import pyogrio
    import shapely
    from pyproj import Transformer

    duomo = (9.19190, 45.46427)
    x, y = Transformer.from_crs("EPSG:4326", f"EPSG:{epsg}", always_xy=True).transform(*duomo)
    path = tmp_path / f"duomo_{epsg}.gpkg"
    pyogrio.raw.write(
        str(path),
        np.array([shapely.to_wkb(shapely.Point(x, y))], dtype=object),
        [np.array(["D1"], dtype=object), np.array(["Duomo"], dtype=object), np.array(["015146"], dtype=object)],
        ["CODICE", "NOME", "ISTAT"],
        driver="GPKG",
        geometry_type="Point",
        crs=f"EPSG:{epsg}",
    )
    assert load(stazioni_source(str(path))).loaded == 1
    ex, ey = Transformer.from_crs("EPSG:4326", "EPSG:32632", always_xy=True).transform(*duomo)
    stored = Stazione.objects.get(code="D1").geom
    tolerance = 5.0 if epsg == 3003 else 0.5  # Monte Mario → WGS84 uses a 7-parameter shift
    assert abs(stored.x - ex) < tolerance and abs(stored.y - ey) < tolerance, (stored.x - ex, stored.y - ey)

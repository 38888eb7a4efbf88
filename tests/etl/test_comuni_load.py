"""Loading the comuni through the ETL: complete, idempotent, and harmless on bad input."""

import csv
import json
import shutil

import pytest
from django.conf import settings
from django.db import connection

from etl.errors import LoadRejected, SourceUnreadable
from etl.models import DatasetVersion
from mappature.models import Comune, ZonaOmogenea


def table_fingerprint():
    """A digest of every loaded row and geometry, to prove nothing changed."""
    with connection.cursor() as cur:
        cur.execute("SELECT md5(string_agg(c::text, '|' ORDER BY istat_code)) FROM mappature_comune c")
        comuni = cur.fetchone()[0]
        cur.execute("SELECT md5(string_agg(z::text, '|' ORDER BY code)) FROM mappature_zonaomogenea z")
        return comuni, cur.fetchone()[0]


def test_loads_the_133_comuni_into_7_zones_plus_milano(comuni):
    """The bundled file gives the 133 comuni of CMM, each in its zona, in EPSG:32632."""
    assert comuni.status == "loaded" and comuni.loaded == 133 and comuni.rejected == 0
    assert Comune.objects.count() == 133
    counts = {z.name: z.comuni.count() for z in ZonaOmogenea.objects.all()}
    assert counts == {
        "Adda Martesana": 29,
        "Alto Milanese": 22,
        "Magentino e Abbiatense": 28,
        "Nord Milano": 6,
        "Nord Ovest": 16,
        "Sud Est": 15,
        "Sud Ovest": 16,
        "Comune di Milano": 1,
    }
    assert Comune.objects.get(istat_code="015146").geom.srid == 32632
    # 24 assignments are inferred, not confirmed (all of Sud Ovest and 8 of Sud Est).
    assert Comune.objects.filter(zona_confirmed=False).count() == 24


def test_zone_geometry_is_the_union_of_its_comuni(comuni):
    """A zona's area equals the sum of its comuni's areas (they do not overlap)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT z.name, ST_Area(z.geom), sum(ST_Area(c.geom)) FROM mappature_zonaomogenea z "
            "JOIN mappature_comune c ON c.zona_id = z.id GROUP BY z.name, z.geom"
        )
        for name, zona_area, comuni_area in cur.fetchall():
            assert zona_area == pytest.approx(comuni_area, rel=1e-3), name


def test_areas_agree_with_the_independent_computation_shipped_with_the_data(comuni):
    """Areas computed in PostGIS from the boundaries match comuni_cmm_detail.csv within 0.5 % (the card shows
    the official surface; see tests/mappature/test_areas.py)."""
    from mappature.queries import comune_card

    with open(settings.REMIX["DATA_DIR"] / "comuni_cmm_detail.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 133
    for row in rows[::10]:
        card = comune_card(row["istat_code"])
        assert card["area_km2_boundaries"] == pytest.approx(float(row["area_km2_computed"]), rel=5e-3), row["name"]


def test_second_run_is_a_no_op(comuni, load_source):
    """Running an unchanged source again changes nothing and records no new version."""
    before = table_fingerprint()
    again = load_source("comuni")
    assert again.status == "unchanged"
    assert table_fingerprint() == before
    assert DatasetVersion.objects.filter(source_id="comuni").count() == 1


def test_forced_rerun_finds_every_row_unchanged(comuni, load_source):
    """Even when forced, an unchanged file updates no row."""
    before = table_fingerprint()
    forced = load_source("comuni", force=True)
    assert (forced.loaded, forced.unchanged, forced.deleted) == (0, 133, 0)
    assert forced.version == 2
    assert table_fingerprint() == before


def test_truncated_file_fails_clearly_and_keeps_the_loaded_data(comuni, load_source, tmp_path):
    """A malformed file is refused with a readable message; the published comuni stay intact."""
    before = table_fingerprint()
    broken = tmp_path / "comuni_cmm.geojson"
    text = (settings.REMIX["DATA_DIR"] / "comuni_cmm.geojson").read_text(encoding="utf-8")
    broken.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(SourceUnreadable, match="non è leggibile"):
        load_source("comuni", location=str(broken))
    assert table_fingerprint() == before
    failed = DatasetVersion.objects.get(source_id="comuni", status="failed")
    assert "non è leggibile" in failed.error and failed.version is None


def test_changed_file_updates_changed_rows_and_removes_missing_ones(comuni, load_source, tmp_path):
    """A new edition of the file: one population changes, one comune disappears."""
    data = json.loads((settings.REMIX["DATA_DIR"] / "comuni_cmm.geojson").read_text(encoding="utf-8"))
    removed = data["features"].pop()
    data["features"][0]["properties"]["population"] += 1
    edition = tmp_path / "comuni.geojson"
    edition.write_text(json.dumps(data), encoding="utf-8")
    result = load_source("comuni", location=str(edition))
    assert (result.loaded, result.unchanged, result.deleted) == (1, 131, 1)
    assert not Comune.objects.filter(istat_code=removed["properties"]["istat_code"]).exists()


def test_rows_that_cannot_load_are_rejected_with_a_reason(comuni, load_source, tmp_path):
    """Empty geometries and missing mandatory fields are rejected row by row, the rest loads."""
    data = json.loads((settings.REMIX["DATA_DIR"] / "comuni_cmm.geojson").read_text(encoding="utf-8"))
    data["features"][3]["geometry"] = None
    data["features"][5]["properties"]["istat_code"] = None
    data["features"][7]["properties"]["population"] = "molti"
    edition = tmp_path / "comuni.geojson"
    edition.write_text(json.dumps(data), encoding="utf-8")
    result = load_source("comuni", location=str(edition))
    reasons = dict(result.rejects)
    assert "geometria vuota" in reasons[4]
    assert "campo obbligatorio mancante: istat_code" in reasons[6]
    assert "population" in reasons[8]
    version = DatasetVersion.objects.get(source_id="comuni", version=result.version)
    assert version.rejects.count() == 3
    # A rejected row keeps the loaded version of its comune; with a row whose key is unknown,
    # nothing is deleted at all.
    assert Comune.objects.count() == 133
    assert result.deleted == 0


def test_a_file_where_nothing_is_valid_is_refused(comuni, load_source, tmp_path):
    """If validation leaves nothing, the load is refused instead of emptying the table."""
    data = json.loads((settings.REMIX["DATA_DIR"] / "comuni_cmm.geojson").read_text(encoding="utf-8"))
    for feature in data["features"]:
        feature["geometry"] = None
    edition = tmp_path / "comuni.geojson"
    edition.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(LoadRejected):
        load_source("comuni", location=str(edition))
    assert Comune.objects.count() == 133


def test_missing_file_is_a_clear_error(db, load_source, tmp_path):
    from etl.errors import SourceNotFound

    shutil.rmtree(tmp_path)
    with pytest.raises(SourceNotFound, match="non esiste"):
        load_source("comuni", location=str(tmp_path / "nope.geojson"))

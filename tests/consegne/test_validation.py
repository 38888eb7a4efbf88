"""Validation of the committed corpus: what a technician reads in the report for each kind of delivery."""

import pytest

from consegne.models import Consegna
from mappature.models import PgtAtto, PgtFeature

from .conftest import rules_of

pytestmark = pytest.mark.django_db


def test_good_shapefiles_in_gauss_boaga_cp1252_pass_with_warnings_and_are_staged(tecnico, deliver):
    """EPSG:3003 is reprojected, the CP1252 encoding is detected and reported, accents survive."""
    c = deliver(tecnico, "good_3003_cp1252.zip")
    assert c.state == Consegna.State.IN_REVISIONE, list(c.findings.values_list("rule", "params"))
    assert rules_of(c, "errore") == set()
    assert {"crs_reprojected", "encoding_detected", "at_su_agricole"} <= rules_of(c)
    enc = c.findings.get(rule="encoding_detected", layer="ambiti_trasformazione")
    assert enc.params["encoding"] == "CP1252"
    assert c.atto.state == PgtAtto.State.BOZZA
    names = set(
        PgtFeature.objects.filter(atto=c.atto, layer="ambiti_trasformazione").values_list("attrs__NOME_AMB", flat=True)
    )
    assert names == {"AT1 Città Giardino", "AT2 Cascina Façade"}
    assert PgtFeature.objects.filter(atto=c.atto).exclude(geom__within=c.comune.geom.buffer(3)).count() == 0


def test_geopackage_in_32632_passes_with_the_same_content(tecnico, deliver):
    """The same delivery as a GeoPackage: no reprojection, no encoding warning, same features staged."""
    c = deliver(tecnico, "good_32632.gpkg")
    assert c.state == Consegna.State.IN_REVISIONE
    assert "crs_reprojected" not in rules_of(c) and "encoding_detected" not in rules_of(c)
    assert PgtFeature.objects.filter(atto=c.atto).count() == sum(c.summary.get("features", 0) for _ in [0])
    assert c.summary["counts"]["errore"] == 0


def _by_rule(c):
    out = {}
    for f in c.findings.all():
        out.setdefault(f.rule, []).append(f)
    return out


def test_attribute_errors_are_reported_per_feature_and_nothing_is_staged(tecnico, deliver):
    """Wrong ISTAT code, empty mandatory field, unknown code and mismatching description are each named."""
    c = deliver(tecnico, "bad_attributes.zip")
    assert c.state == Consegna.State.RESPINTA and c.atto is None
    found = _by_rule(c)
    assert {f.params["value"] for f in found["istat_mismatch"]} == {"015999"}
    assert [(f.layer, f.params["field"]) for f in found["mandatory"]] == [("tessuto_urbano_consolidato", "COD_DEST1")]
    assert [f.params["value"] for f in found["code_unknown"]] == ["9"]
    assert [(f.params["value"], f.params["expected"]) for f in found["code_description"]] == [
        ("SUPERFICIE AGRICOLA", "SUPERFICIE URBANIZZATA")
    ]
    assert all(f.geom is not None for f in c.findings.filter(severity="errore"))
    assert not PgtAtto.objects.filter(comune=c.comune).exists()


def test_geometry_errors_invalid_duplicate_overlap_overflow_gap_sliver(tecnico, deliver):
    """Each geometric problem of the bad delivery is found, located on the map, in the right layer."""
    c = deliver(tecnico, "bad_geometry.zip")
    assert c.state == Consegna.State.RESPINTA
    found = _by_rule(c)
    assert [f.layer for f in found["geom_invalid"]] == ["aree_dismesse"]
    assert [f.layer for f in found["duplicate_geom"]] == ["tessuto_urbano_consolidato"]
    assert {f.layer for f in found["overlap"]} == {"tessuto_urbano_consolidato"}
    assert [f.layer for f in found["outside_boundary"]] == ["ambiti_trasformazione"]
    assert found["outside_boundary"][0].params["area"] > 1000
    gaps = found["gap"]
    assert len(gaps) >= 1 and gaps[0].layer == "consumo_suolo" and gaps[0].params["area"] > 10000
    assert [f.layer for f in found["sliver"]] == ["ambiti_rigenerazione"]
    for rule in ("geom_invalid", "overlap", "outside_boundary", "gap"):
        assert all(f.geom is not None for f in found[rule]), rule


@pytest.mark.parametrize(
    ("name", "rule", "layer"),
    [
        ("bad_missing_prj.zip", "missing_prj", "consumo_suolo"),
        ("bad_missing_layer.zip", "missing_layer", "consumo_suolo"),
        ("bad_crs_4326.zip", "crs_not_accepted", "consumo_suolo"),
    ],
)
def test_file_level_errors_stop_the_delivery_with_a_clear_message(tecnico, deliver, name, rule, layer):
    """Missing .prj, a missing required layer, a CRS outside the accepted list: an error naming the layer."""
    from consegne.rules import message

    c = deliver(tecnico, name)
    assert c.state == Consegna.State.RESPINTA
    f = c.findings.filter(rule=rule, layer=layer).first()
    assert f is not None, rules_of(c)
    assert layer.upper() in message(f.rule, f.params).upper()


def test_unknown_layer_is_a_warning(tecnico, deliver):
    c = deliver(tecnico, "bad_missing_layer.zip")
    assert c.findings.get(rule="unknown_layer").params["name"].lower() == "strade.shp"


def _gpkg_with(tmp_path, layer: str, field: str | None, values: dict, reshape=None):
    """A copy of the good GeoPackage where ``field`` of ``layer`` takes ``values`` (row → value) and
    ``reshape`` (WKB array → WKB array, with its geometry type) changes the layer's geometries."""
    import pyogrio
    from pyogrio.raw import read, write

    from .conftest import CORPUS

    src, out = CORPUS / "good_32632.gpkg", tmp_path / "consegna.gpkg"
    for name, _ in pyogrio.list_layers(src):
        meta, _fids, geometry, fields = read(src, layer=name)
        geometry_type = meta["geometry_type"]
        if name == layer and field:
            column = fields[meta["fields"].tolist().index(field)]
            for row, value in values.items():
                column[row] = value
        if name == layer and reshape:
            geometry, geometry_type = reshape(geometry)
        write(
            out,
            geometry,
            fields,
            meta["fields"],
            layer=name,
            geometry_type=geometry_type,
            crs=meta["crs"],
            driver="GPKG",
            append=out.exists(),
        )
    return out


def _deliver_file(user, path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from background.testing import run_jobs
    from consegne import actions
    from mappature.models import Comune

    from .conftest import ACT, BESATE

    c = actions.submit(
        user, Comune.objects.get(istat_code=BESATE), SimpleUploadedFile(path.name, path.read_bytes()), ACT
    )
    run_jobs()
    c.refresh_from_db()
    return c


def test_a_null_mandatory_value_is_reported_like_an_empty_one(tecnico, consegne_settings, tmp_path):
    """GeoPackages have real NULLs (shapefiles only blanks): a NULL in a mandatory field is an error."""
    c = _deliver_file(tecnico, _gpkg_with(tmp_path, "tessuto_urbano_consolidato", "COD_DEST1", {1: None}))
    found = _by_rule(c)
    assert c.state == Consegna.State.RESPINTA
    assert [(f.layer, f.feature, f.params["field"]) for f in found["mandatory"]] == [
        ("tessuto_urbano_consolidato", "n. 2", "COD_DEST1")
    ]


def test_control_characters_in_values_are_kept(tecnico, consegne_settings, tmp_path):
    """Values Arrow cannot write as JSON (a control character) take the row-by-row path, unchanged."""
    legend = "Tessuto\x0bstorico «A»"
    c = _deliver_file(tecnico, _gpkg_with(tmp_path, "tessuto_urbano_consolidato", "LEGENDA", {0: legend}))
    assert c.state == Consegna.State.IN_REVISIONE, list(c.findings.values_list("rule", "params"))
    legends = set(
        PgtFeature.objects.filter(atto=c.atto, layer="tessuto_urbano_consolidato").values_list(
            "attrs__LEGENDA", flat=True
        )
    )
    assert legend in legends


def test_z_coordinates_are_dropped_and_said(tecnico, consegne_settings, tmp_path):
    """A layer exported from CAD with heights: staged in 2D, with an information finding."""
    import shapely

    def lift(wkb):
        geoms = shapely.force_3d(shapely.from_wkb(wkb), 131.0)
        return shapely.to_wkb(geoms, output_dimension=3), "MultiPolygon Z"

    c = _deliver_file(tecnico, _gpkg_with(tmp_path, "tessuto_urbano_consolidato", None, {}, reshape=lift))
    assert c.state == Consegna.State.IN_REVISIONE, list(c.findings.values_list("rule", "params"))
    assert c.findings.get(rule="geom_flattened").layer == "tessuto_urbano_consolidato"
    assert PgtFeature.objects.filter(atto=c.atto, layer="tessuto_urbano_consolidato").count() == 4

"""Ordinary municipal data that used to crash the validation or lose features silently.

Each delivery (built by tests/consegne/ordinary.py) must end with a precise finding naming the
file, the field or the feature, in Italian and in English, never with an internal error; and the
PGT in force published before it must be exactly as it was.
"""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import translation

from background.testing import run_jobs
from consegne import actions, sqlchecks, validation
from consegne.models import Consegna
from consegne.rules import message
from mappature.models import Comune, PgtAtto, PgtFeature

from . import ordinary
from .conftest import ACT, BESATE

pytestmark = pytest.mark.django_db


def _submit(user, path):
    return actions.submit(
        user, Comune.objects.get(istat_code=BESATE), SimpleUploadedFile(path.name, path.read_bytes()), ACT
    )


def _deliver(user, path):
    c = _submit(user, path)
    run_jobs()
    c.refresh_from_db()
    return c


def _claim(c):
    """The delivery as the job finds it when it starts validating (the job itself is not run)."""
    Consegna.objects.filter(pk=c.pk).update(state=Consegna.State.IN_VALIDAZIONE)
    c.refresh_from_db()
    return c


def _fingerprint(atto_id: int) -> str:
    """Every feature of an act (layer, key, attributes, geometry), hashed: any change shows."""
    with connection.cursor() as cur:
        cur.execute(
            """SELECT layer, feature_key, attrs::text, encode(ST_AsBinary(geom), 'hex')
                       FROM mappature_pgtfeature WHERE atto_id = %s ORDER BY layer, feature_key""",
            [atto_id],
        )
        return hashlib.sha256(repr(cur.fetchall()).encode()).hexdigest()


@pytest.fixture
def vigente(tecnico, staff, consegne_settings):
    """The good delivery, published: the PGT in force every case must leave untouched."""
    from .conftest import CORPUS

    c = _deliver(tecnico, CORPUS / "good_32632.gpkg")
    atto = actions.publish(staff, c)
    return atto.pk, _fingerprint(atto.pk)


@pytest.fixture
def check(vigente, tecnico, tmp_path):
    """Deliver the case built by ``build``; afterwards the PGT in force must be unchanged."""

    def run(build, **kwargs):
        c = _deliver(tecnico, build(tmp_path, **kwargs))
        assert not c.findings.filter(rule="internal_error").exists()
        assert c.state != Consegna.State.FALLITA
        atto_id, fingerprint = vigente
        assert PgtAtto.objects.get(comune__istat_code=BESATE, state=PgtAtto.State.VIGENTE).pk == atto_id
        assert _fingerprint(atto_id) == fingerprint
        return c

    return run


def _found(c, rule):
    return list(c.findings.filter(rule=rule).order_by("layer", "id"))


def _both_languages(f) -> tuple[str, str]:
    with translation.override("it"):
        it = message(f.rule, f.params)
    with translation.override("en"):
        en = message(f.rule, f.params)
    assert it != en, f"{f.rule} has no English translation"
    return it, en


# --- Deliveries that never crash on ordinary data ----------------------------------------------------


def test_a_254_character_name_and_a_90_character_key_are_kept_whole(check):
    """Legal in a .dbf: the delivery passes; the long key is matched by a shortened key, and said."""
    c = check(ordinary.long_text_zip)
    assert c.state == Consegna.State.IN_REVISIONE, list(c.findings.values_list("rule", "params"))
    [f] = _found(c, "key_shortened")
    assert (f.layer, f.params["field"], f.params["length"]) == ("ambiti_trasformazione", "NOME_AMB", 90)
    assert f.feature.startswith("n. 1 · AT1") and len(f.feature) <= 120
    it, en = _both_languages(f)
    assert "NOME_AMB" in it and "90 caratteri" in it and "90 characters" in en
    at1 = PgtFeature.objects.get(atto=c.atto, layer="ambiti_trasformazione", attrs__NOME_AMB=ordinary.KEY_90)
    assert len(at1.feature_key) == 80 and at1.feature_key.startswith(ordinary.KEY_90[:60])
    schede = PgtFeature.objects.filter(atto=c.atto, layer="aree_agricole").values_list("attrs__SCHEDA", flat=True)
    assert ordinary.NAME_254 in set(schede)


def test_ten_thousand_character_strings_are_refused_naming_field_and_feature(check):
    c = check(ordinary.long_text_gpkg)
    assert c.state == Consegna.State.RESPINTA and c.atto is None
    found = {(f.layer, f.feature[:9], f.params["field"], f.params["length"]) for f in _found(c, "text_too_long")}
    assert found == {
        ("ambiti_trasformazione", "n. 1 · AT", "SCHEDA", 10_000),
        ("ambiti_rigenerazione", "n. 1 · AR", "NOME_AMB", 10_004),
    }
    f = _found(c, "text_too_long")[0]
    it, en = _both_languages(f)
    assert "10.004" in it and "254" in it and "10,004" in en
    assert all(len(f.feature) <= 120 for f in c.findings.all())
    assert all(len(message(f.rule, f.params)) < 1000 for f in c.findings.all())


def test_a_cpg_that_lies_is_overruled_by_the_data_and_said(check):
    c = check(ordinary.lying_cpg_zip)
    assert c.state == Consegna.State.IN_REVISIONE, list(c.findings.values_list("rule", "params"))
    f = c.findings.get(rule="encoding_mismatch", layer="ambiti_trasformazione")
    assert (f.params["declared"], f.params["encoding"]) == ("UTF-8", "CP1252")
    it, en = _both_languages(f)
    assert "ambiti_trasformazione.shp" in it and "UTF-8" in it and "CP1252" in en
    names = set(
        PgtFeature.objects.filter(atto=c.atto, layer="ambiti_trasformazione").values_list("attrs__NOME_AMB", flat=True)
    )
    assert names == {"AT1 Città Giardino", "AT2 Cascina Façade"}


def test_esri_code_page_88591_is_understood(check):
    c = check(ordinary.esri_cpg_zip)
    assert c.state == Consegna.State.IN_REVISIONE, list(c.findings.values_list("rule", "params"))
    assert not c.findings.filter(rule__startswith="encoding").exists()
    names = set(
        PgtFeature.objects.filter(atto=c.atto, layer="ambiti_trasformazione").values_list("attrs__NOME_AMB", flat=True)
    )
    assert names == {"AT1 Città Giardino", "AT2 Cascina Façade"}


def test_an_unknown_code_page_falls_back_to_detection_and_says_so(check):
    c = check(ordinary.unknown_cpg_zip)
    assert c.state == Consegna.State.IN_REVISIONE
    f = c.findings.get(rule="encoding_unknown_cpg", layer="ambiti_trasformazione")
    assert (f.params["declared"], f.params["encoding"]) == ("PAGINA-42", "CP1252")
    it, _en = _both_languages(f)
    assert "PAGINA-42" in it
    names = set(
        PgtFeature.objects.filter(atto=c.atto, layer="ambiti_trasformazione").values_list("attrs__NOME_AMB", flat=True)
    )
    assert "AT2 Cascina Façade" in names


def test_text_in_no_known_encoding_is_refused_clearly(check):
    c = check(ordinary.undetectable_zip)
    assert c.state == Consegna.State.RESPINTA
    f = c.findings.get(rule="encoding_undetectable")
    assert (f.layer, f.params["name"], f.params["declared"]) == (
        "ambiti_trasformazione",
        "ambiti_trasformazione.shp",
        "UTF-8",
    )
    it, en = _both_languages(f)
    assert "ambiti_trasformazione.shp" in it and "ambiti_trasformazione.shp" in en


def test_invalid_utf8_in_a_geopackage_is_an_error_naming_field_and_feature(check):
    c = check(ordinary.invalid_utf8_gpkg)
    assert c.state == Consegna.State.RESPINTA
    [f] = _found(c, "text_not_utf8")
    assert (f.layer, f.feature, f.params["field"]) == ("aree_agricole", "n. 1", "SCHEDA")
    _both_languages(f)


def test_nan_infinity_and_absurd_numbers_are_errors_naming_field_and_feature(check):
    c = check(ordinary.numbers_zip)
    assert c.state == Consegna.State.RESPINTA
    invalid = {(f.layer, f.feature[:4], f.params["field"], f.params["value"]) for f in _found(c, "number_invalid")}
    assert invalid == {
        ("ambiti_trasformazione", "n. 1", "SUP_TERR", "NaN"),
        ("ambiti_trasformazione", "n. 2", "SUP_TERR", "Infinity"),
    }
    [huge] = _found(c, "number_out_of_range")
    assert (huge.feature[:4], huge.params["field"], float(huge.params["value"])) == ("n. 3", "SUP_TERR", 1e300)
    assert all(f.geom is not None for f in _found(c, "number_invalid"))
    it, en = _both_languages(_found(c, "number_invalid")[0])
    assert "SUP_TERR" in it and "SUP_TERR" in en


def test_a_geopackage_view_or_trigger_is_refused_without_being_read(check):
    c = check(ordinary.view_gpkg)
    assert c.state == Consegna.State.RESPINTA
    assert c.findings.get(rule="gpkg_view").layer == "ambiti_rigenerazione"
    triggers = c.findings.get(rule="gpkg_triggers")
    assert (triggers.layer, triggers.params["triggers"]) == ("aree_dismesse", "dismesse_audit")
    for f in (c.findings.get(rule="gpkg_view"), triggers):
        it, _en = _both_languages(f)
        assert f.layer in it


def test_a_never_ending_view_cannot_stall_the_validation(check):
    """A recursive view as a layer would keep GDAL reading for ever: it is refused unread."""
    c = check(ordinary.recursive_view_gpkg)
    assert c.state == Consegna.State.RESPINTA
    assert c.findings.get(rule="gpkg_view").layer == "consumo_suolo"


def test_a_validation_past_its_time_limit_stops_with_a_finding(tecnico, consegne_settings, tmp_path, monkeypatch):
    """Every statement is bounded by the time left: a check that would run for ever is cancelled."""
    from .conftest import CORPUS

    sleep = ("slow_check", "SELECT %(c)s, 'errore', 'slow', '', '', '{}'::jsonb, NULL FROM pg_sleep(30)")
    monkeypatch.setattr(sqlchecks, "CHECKS", [*sqlchecks.CHECKS, sleep])
    c = _claim(_submit(tecnico, CORPUS / "good_32632.gpkg"))
    validation.validate(c, seconds=3)
    c.refresh_from_db()
    assert c.state == Consegna.State.RESPINTA and c.atto is None
    [f] = c.findings.all()
    assert (f.rule, f.params["step"]) == ("timeout", "slow_check")
    it, en = _both_languages(f)
    assert "tempo massimo" in it and "time limit" in en
    with connection.cursor() as cur:  # the connection gets its normal timeout back
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone()[0] == "0"


# --- Deliveries that never lose data silently --------------------------------------------------------


@pytest.mark.parametrize("delta", [-1, 1])
def test_a_dbf_counting_other_records_than_the_shp_is_an_error_with_both_counts(check, delta):
    shapes = len(ordinary.layers()["tessuto_urbano_consolidato"])
    c = check(ordinary.short_dbf_zip, delta=delta)
    assert c.state == Consegna.State.RESPINTA
    f = c.findings.get(rule="record_count")
    assert (f.layer, f.params["shp"], f.params["dbf"]) == ("tessuto_urbano_consolidato", shapes, shapes + delta)
    it, en = _both_languages(f)
    assert "tessuto_urbano_consolidato.shp" in it and f"{shapes} geometrie" in it and f"{shapes + delta}" in en


def test_records_marked_deleted_are_said_and_the_rest_is_kept(check):
    shapes = len(ordinary.layers()["tessuto_urbano_consolidato"])
    c = check(ordinary.deleted_record_zip)
    assert c.state == Consegna.State.IN_REVISIONE, list(c.findings.values_list("rule", "params"))
    f = c.findings.get(rule="records_deleted")
    assert (f.layer, f.params["count"]) == ("tessuto_urbano_consolidato", 1)
    _both_languages(f)
    assert PgtFeature.objects.filter(atto=c.atto, layer="tessuto_urbano_consolidato").count() == shapes - 1


def test_a_hole_outside_its_shell_is_not_silently_filled(check):
    """GDAL reads the stray hole as a second filled part; the finding gives the areas both ways."""
    area = ordinary.layers()["aree_dismesse"][0]["geometry"].area  # the 80 m square
    c = check(ordinary.hole_outside_zip)
    assert c.state == Consegna.State.RESPINTA
    [f] = _found(c, "hole_outside_shell")
    assert (f.layer, f.feature) == ("aree_dismesse", "n. 1")
    assert f.params == {"hole": 400.0, "read": round(area + 400, 1), "file": round(area - 400, 1)}
    assert f.geom is not None
    it, en = _both_languages(f)
    assert "400 m²" in it and "400 m²" in en


def test_overlaps_above_the_threshold_are_grouped_per_layer(check):
    """20 squares over one another make 190 overlapping pairs: one summary, the largest pairs listed."""
    n = ordinary.OVERLAPPING
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    total = sum((60 - (j - i)) ** 2 for i, j in pairs)  # squares shifted (d, d): (60 - d)² m² in common
    c = check(ordinary.overlaps_gpkg)
    assert c.state == Consegna.State.RESPINTA
    [summary] = _found(c, "overlap_grouped")
    assert summary.layer == "aree_dismesse"
    assert summary.params["count"] == len(pairs) > sqlchecks.GROUP_ABOVE
    assert summary.params["area"] == pytest.approx(total, abs=1)
    assert summary.geom is not None and summary.geom.num_geom == sqlchecks.SHOWN
    listed = _found(c, "overlap")
    assert len(listed) == sqlchecks.LISTED
    assert max(f.params["area"] for f in listed) == pytest.approx(59**2, abs=0.1)
    it, en = _both_languages(summary)
    assert "190" in it and "190" in en


@pytest.mark.django_db(transaction=True)
def test_the_time_limit_holds_outside_a_transaction_too(tecnico, consegne_settings, monkeypatch):
    """As the worker runs it (autocommit, checks in two lanes on their own connections): the slow
    statement is cancelled in its lane, the delivery ends with the finding, the staging is dropped."""
    from .conftest import CORPUS

    sleep = ("slow_check", "SELECT %(c)s, 'errore', 'slow', '', '', '{}'::jsonb, NULL FROM pg_sleep(30)")
    monkeypatch.setattr(sqlchecks, "CHECKS", [*sqlchecks.CHECKS, sleep])
    c = _claim(_submit(tecnico, CORPUS / "good_32632.gpkg"))
    validation.validate(c, seconds=4)
    c.refresh_from_db()
    assert c.state == Consegna.State.RESPINTA
    assert [(f.rule, f.params["step"]) for f in c.findings.all()] == [("timeout", "slow_check")]
    with connection.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        assert cur.fetchone()[0] == "0"
        cur.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'consegne_staging' AND tablename LIKE %s",
            [f"%\\_{c.pk}"],
        )
        assert cur.fetchone()[0] == 0


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("UTF-8", "utf-8"),
        ("utf8", "utf-8"),
        ("65001", "utf-8"),
        ("88591", "iso8859-1"),
        ("885915", "iso8859-15"),
        ("ISO 88591", "iso8859-1"),
        ("ISO-8859-1", "iso8859-1"),
        ("1252", "cp1252"),
        ("ANSI 1252", "cp1252"),
        ("Windows-1252", "cp1252"),
        ("OEM 850", "cp850"),
        ("437", "cp437"),
        ("LATIN1", "iso8859-1"),
        ("PAGINA-42", None),
        ("", None),
    ],
)
def test_cpg_labels_written_by_gis_tools(label, codec):
    from consegne.shapefiles import codec_of

    assert codec_of(label) == codec


def test_record_offsets_from_the_shx_agree_with_the_walk(tmp_path):
    """The .shx is trusted only where it agrees with the .shp; a short .shx still counts every record."""
    import zipfile

    from consegne.shapefiles import shp_offsets

    with zipfile.ZipFile(ordinary.hole_outside_zip(tmp_path)) as zf:
        raw, shx = zf.read("TESSUTO_URBANO_CONSOLIDATO.shp"), zf.read("TESSUTO_URBANO_CONSOLIDATO.shx")
    walked = shp_offsets(raw)
    assert len(walked) == len(ordinary.layers()["tessuto_urbano_consolidato"])
    assert shp_offsets(raw, shx) == walked
    assert shp_offsets(raw, shx[:-8]) == walked  # one record missing from the index
    broken = bytearray(shx)
    broken[108:112] = (12345).to_bytes(4, "big")  # a wrong offset: the walk decides
    assert shp_offsets(raw, bytes(broken)) == walked

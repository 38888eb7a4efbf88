"""The generated mapfile: classes follow the registry's classification and no value can break out of it."""

from layers.ogc import mapfile
from layers.ogc.mapscript_loader import mapscript
from layers.ogc.sources import Column, LayerSource
from layers.styles import parse_style

HOSTILE = 'Residenziale" END END LAYER NAME "pwned'


def _source(style: dict, **extra) -> LayerSource:
    return LayerSource(
        slug="prova", title_it='Titolo "tra virgolette"', title_en="Title", abstract_it="riga 1\nriga 2",
        abstract_en="", kind="vector", style=parse_style(style), srid=32632, extent=(0, 0, 10, 10),
        table="prova", geometry_type="MULTIPOLYGON",
        columns=(Column("dtipo", "text", "Tipo", "Type"), Column("sup", "double precision", "Sup.", "Area")), **extra)


def _load(tmp_path, sources):
    (tmp_path / "fonts.txt").write_text(f"sans {mapfile_font()}\n")
    info = mapfile.ServiceInfo(title="T", abstract="A", keywords=("k",), organization="O", email="", person="",
                               fees="", access_constraints="", connection="dbname='x'",
                               fontset=str(tmp_path / "fonts.txt"), template_dir=str(tmp_path))
    return mapscript().fromstring(mapfile.render(sources, info))


def mapfile_font():
    from layers.ogc.service import FONT

    return FONT


def test_hostile_category_values_stay_literal(tmp_path):
    """A quote in a category value cannot end the class or open a new layer: MapServer sees one layer."""
    style = {"kind": "categorized", "field": "dtipo", "classes": [{"value": HOSTILE, "fill": "#ff0000"}],
             "other": {"label_it": "Altro", "fill": "#cccccc"}}
    loaded = _load(tmp_path, [_source(style)])
    assert loaded.numlayers == 1
    layer = loaded.getLayer(0)
    assert layer.numclasses == 2  # the category, then "other" (no expression: catches the rest)
    assert layer.getClass(0).getExpressionString() == f'"{HOSTILE}"'
    assert layer.getClass(1).getExpressionString() is None
    assert layer.metadata.get("ows_title") == 'Titolo "tra virgolette"'


def test_graduated_classes_are_half_open_but_the_last(tmp_path):
    """[min, max) for every class but the last, which includes its max, as the catalogue legend says."""
    style = {"kind": "graduated", "field": "sup", "classes": [
        {"min": 0, "max": 10, "fill": "#ffffcc"}, {"min": 10, "max": 20, "fill": "#800026"}]}
    layer = _load(tmp_path, [_source(style)]).getLayer(0)
    assert layer.getClass(0).getExpressionString() == "([sup] >= 0.0 AND [sup] < 10.0)"
    assert layer.getClass(1).getExpressionString() == "([sup] >= 10.0 AND [sup] <= 20.0)"


def test_no_password_in_the_mapfile_text(tmp_path):
    """The text written to disk names the database but never carries a password."""
    info = mapfile.ServiceInfo(title="T", abstract="", keywords=(), organization="", email="", person="", fees="",
                               access_constraints="", connection="host='h' dbname='d' user='u'", fontset="f",
                               template_dir="t")
    text = mapfile.render([_source({})], info)
    assert "password" not in text and "dbname='d'" in text


def test_synthetic_layers_say_so_once(tmp_path):
    """A synthetic layer's title carries the label exactly once, whether or not the registry wrote it."""
    plain = _load(tmp_path, [_source({}, synthetic=True)]).getLayer(0)
    assert plain.metadata.get("ows_title") == 'Titolo "tra virgolette" (sintetico)'
    labelled = LayerSource(**{**_source({}, synthetic=True).__dict__, "title_it": "PGT (sintetico)"})
    assert _load(tmp_path, [labelled]).getLayer(0).metadata.get("ows_title") == "PGT (sintetico)"

"""The generated mapfile: classes follow the registry's classification and no value can break out of it."""

from layers.ogc import mapfile
from layers.ogc.mapscript_loader import mapscript
from layers.ogc.published import Column, LayerSource
from layers.styles import parse_style

HOSTILE = 'Residenziale" END END LAYER NAME "pwned'


def _source(style: dict, **extra) -> LayerSource:
    return LayerSource(
        slug="prova",
        title_it='Titolo "tra virgolette"',
        title_en="Title",
        abstract_it="riga 1\nriga 2",
        abstract_en="",
        kind="vector",
        style=parse_style(style),
        srid=32632,
        extent=(0, 0, 10, 10),
        table="prova",
        geometry_type="MULTIPOLYGON",
        columns=(Column("dtipo", "text", "Tipo", "Type"), Column("sup", "double precision", "Sup.", "Area")),
        **extra,
    )


def _load(tmp_path, sources):
    (tmp_path / "fonts.txt").write_text(f"sans {mapfile_font()}\n")
    info = mapfile.ServiceInfo(
        title="T",
        abstract="A",
        keywords=("k",),
        organization="O",
        email="",
        person="",
        fees="",
        access_constraints="",
        connection="dbname='x'",
        fontset=str(tmp_path / "fonts.txt"),
        template_dir=str(tmp_path),
    )
    return mapscript().fromstring(mapfile.render(sources, info))


def mapfile_font():
    from layers.ogc.service import FONT

    return FONT


def test_hostile_category_values_stay_literal(tmp_path):
    """A quote in a category value cannot end the class or open a new layer: MapServer sees one layer."""
    style = {
        "kind": "categorized",
        "field": "dtipo",
        "classes": [{"value": HOSTILE, "fill": "#ff0000"}],
        "other": {"label_it": "Altro", "fill": "#cccccc"},
    }
    loaded = _load(tmp_path, [_source(style)])
    assert loaded.numlayers == 1
    layer = loaded.getLayer(0)
    assert layer.numclasses == 2  # the category, then "other" (no expression: catches the rest)
    assert layer.getClass(0).getExpressionString() == f'"{HOSTILE}"'
    assert layer.getClass(1).getExpressionString() is None
    assert layer.metadata.get("ows_title") == 'Titolo "tra virgolette"'


def test_graduated_classes_are_half_open_but_the_last(tmp_path):
    """[min, max) for every class but the last, which includes its max, as the catalogue legend says."""
    style = {
        "kind": "graduated",
        "field": "sup",
        "classes": [{"min": 0, "max": 10, "fill": "#ffffcc"}, {"min": 10, "max": 20, "fill": "#800026"}],
    }
    layer = _load(tmp_path, [_source(style)]).getLayer(0)
    assert layer.getClass(0).getExpressionString() == '("[sup]" != "" AND [sup] >= 0.0 AND [sup] < 10.0)'
    assert layer.getClass(1).getExpressionString() == '("[sup]" != "" AND [sup] >= 10.0 AND [sup] <= 20.0)'


def test_no_password_in_the_mapfile_text(tmp_path):
    """The text written to disk names the database but never carries a password."""
    info = mapfile.ServiceInfo(
        title="T",
        abstract="",
        keywords=(),
        organization="",
        email="",
        person="",
        fees="",
        access_constraints="",
        connection="host='h' dbname='d' user='u'",
        fontset="f",
        template_dir="t",
    )
    text = mapfile.render([_source({})], info)
    assert "password" not in text and "dbname='d'" in text


def test_synthetic_layers_say_so_once(tmp_path):
    """A synthetic layer's title carries the label exactly once, whether or not the registry wrote it."""
    plain = _load(tmp_path, [_source({}, synthetic=True)]).getLayer(0)
    assert plain.metadata.get("ows_title") == 'Titolo "tra virgolette" (sintetico)'
    labelled = LayerSource(**{**_source({}, synthetic=True).__dict__, "title_it": "PGT (sintetico)"})
    assert _load(tmp_path, [labelled]).getLayer(0).metadata.get("ows_title") == "PGT (sintetico)"


def test_a_feature_without_amount_gets_the_other_class_not_the_lowest(tmp_path):
    """MapServer draws a NULL amount with the "Importo non indicato" colour, as the web map and QGIS do."""
    import json

    from layers.declarations import load_all

    decl = next(d for d in load_all() if d.slug == "realizzazioni")
    style = parse_style(decl.fields["style"])
    points = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"amount_eur": None},
                "geometry": {"type": "Point", "coordinates": [2, 5]},
            },
            {
                "type": "Feature",
                "properties": {"amount_eur": 100000},
                "geometry": {"type": "Point", "coordinates": [8, 5]},
            },
        ],
    }
    (tmp_path / "pts.geojson").write_text(json.dumps(points))
    source = LayerSource(
        **{
            **_source({}).__dict__,
            "style": style,
            "geometry_type": "MULTIPOINT",
            "columns": (Column("amount_eur", "numeric", "Importo", "Amount"),),
        }
    )
    ms = mapscript()
    m = _load(tmp_path, [source])
    layer = m.getLayer(0)
    layer.setConnectionType(ms.MS_OGR, "")
    layer.connection = str(tmp_path / "pts.geojson")
    layer.data = "pts"
    layer.setProjection("init=epsg:32632")
    m.setProjection("init=epsg:32632")
    m.setExtent(0, 0, 10, 10)
    m.setSize(100, 100)
    m.selectOutputFormat("image/png")
    m.outputformat.transparent = 0
    from rasterio.io import MemoryFile

    with MemoryFile(m.draw().getBytes()) as mem, mem.open() as ds:
        bands = ds.read()

    def pixel(col, row):
        return tuple(int(bands[b, row, col]) for b in range(3))

    by_name = {c.label_it: c.symbol.fill for c in (*style.classes, style.other)}
    grey, lowest = by_name["Importo non indicato"], style.classes[0].symbol.fill

    def rgb(hex_color):
        return tuple(int(hex_color[i : i + 2], 16) for i in (1, 3, 5))

    def near(pixel, colour):
        return all(abs(a - b) <= 40 for a, b in zip(pixel, rgb(colour), strict=True))

    assert near(pixel(20, 50), grey), pixel(20, 50)
    assert near(pixel(80, 50), lowest), pixel(80, 50)


def test_an_unreadable_identify_answer_is_passed_on_unchanged():
    """Labels are added to identify answers MapServer wrote; a truncated or odd answer is never an error."""
    from layers.ogc.service import OwsResponse, _labelled_info

    class Template:
        def getLayerByName(self, name):  # noqa: N802 - mapscript's name
            return None

    for content_type, body in (
        ("application/vnd.ogc.gml", b"<msGMLOutput><a"),
        ("application/json", b'{"type'),
        ("text/plain", b"\xff\xfe"),
    ):
        answer = OwsResponse(200, content_type, body)
        assert _labelled_info(Template(), answer) is answer

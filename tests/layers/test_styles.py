"""Classifications and legends: what a user sees in the legend is what the map draws."""

import pytest

from layers.errors import StyleError
from layers.styles import parse_style

CATEGORIZED = {
    "kind": "categorized",
    "field": "dtipo",
    "symbol": {"stroke": "#222222"},
    "classes": [
        {"value": "Dismessa", "label_it": "Area dismessa", "label_en": "Disused area", "fill": "#aa0000"},
        {"value": "Degradata", "label_it": "Area degradata", "label_en": "Degraded area", "fill": "#00aa00"},
    ],
    "other": {"label_it": "Altro", "label_en": "Other", "fill": "#999999"},
}
GRADUATED = {
    "kind": "graduated",
    "field": "amount_eur",
    "classes": [
        {"min": 0, "max": 100000, "label_it": "fino a 100.000 €", "fill": "#ffffcc"},
        {"min": 100000, "max": 1000000, "label_it": "100.000 – 1 mln €", "fill": "#fd8d3c"},
        {"min": 1000000, "max": 5000000, "label_it": "oltre 1 mln €", "fill": "#800026"},
    ],
}


def test_categorized_legend_lists_classes_in_order_in_both_languages():
    c = parse_style(CATEGORIZED)
    assert [e.label for e in c.legend("it")] == ["Area dismessa", "Area degradata", "Altro"]
    assert [e.label for e in c.legend("en")] == ["Disused area", "Degraded area", "Other"]
    # The default symbol's stroke is inherited by every class; the fill is each class's own.
    assert {e.symbol.stroke for e in c.legend()} == {"#222222"}
    assert c.legend()[0].symbol.fill == "#aa0000"


def test_categorized_features_get_the_colour_of_their_legend_entry():
    c = parse_style(CATEGORIZED)
    assert c.classify("Degradata").symbol.fill == "#00aa00"
    assert c.classify("sconosciuto").label_it == "Altro"
    assert c.classify(None).label_it == "Altro"
    assert parse_style({**CATEGORIZED, "other": None}).classify("sconosciuto") is None


def test_graduated_ranges_are_half_open_and_the_last_includes_its_max():
    c = parse_style(GRADUATED)
    assert c.classify(0).label_it == "fino a 100.000 €"
    assert c.classify(99999.99).label_it == "fino a 100.000 €"
    assert c.classify(100000).label_it == "100.000 – 1 mln €"
    assert c.classify("5000000").label_it == "oltre 1 mln €"
    assert c.classify(5000000.01) is None
    assert c.classify("n.d.") is None
    # English falls back to the Italian label when none is given.
    assert c.legend("en")[0].label == "fino a 100.000 €"


def test_single_symbol_draws_every_feature_alike():
    c = parse_style({"symbol": {"fill": "#123456"}, "label_it": "Comuni", "label_en": "Municipalities"})
    assert c.classify("anything").symbol.fill == "#123456"
    assert [e.label for e in c.legend("en")] == ["Municipalities"]
    assert parse_style({}).classify(None) is not None


@pytest.mark.parametrize(
    ("style", "message"),
    [
        ({"kind": "heatmap"}, "Tipo di stile sconosciuto"),
        ({"kind": "categorized", "field": "x", "classes": []}, "almeno una classe"),
        ({**GRADUATED, "classes": [GRADUATED["classes"][1], GRADUATED["classes"][0]]}, "sovrappongono"),
        ({"kind": "graduated", "field": "x", "classes": [{"min": 5, "max": 1}]}, "min ≤ max"),
        ({**CATEGORIZED, "classes": CATEGORIZED["classes"] * 2}, "più classi"),
        ({"symbol": {"fill": "red"}}, "Colore non valido"),
        ({"symbol": {"opacity": 2}}, "Valore non valido"),
    ],
)
def test_bad_styles_are_refused_with_an_italian_message(style, message):
    with pytest.raises(StyleError, match=message):
        parse_style(style)


def test_flat_symbol_keys_read_by_the_ogc_services_mean_the_same_here():
    """The keys layers.ogc reads (top-level fill, stroke_width, size as diameter) draw the same symbol."""
    flat = parse_style({"fill": "#c1121f", "stroke": "#ffffff", "stroke_width": 1.5, "size": 12})
    nested = parse_style({"symbol": {"fill": "#c1121f", "stroke": "#ffffff", "width": 1.5, "radius": 6}})
    assert flat.classify(None).symbol == nested.classify(None).symbol
    graduated = parse_style({**GRADUATED, "stroke_width": 3})
    assert {c.symbol.width for c in graduated.classes} == {3}


def test_a_raster_classifies_its_pixel_value_without_a_field():
    style = {
        "kind": "graduated",
        "classes": [{"min": 0, "max": 1, "fill": "#ffffbf"}, {"min": 1, "max": 3, "fill": "#d73027"}],
    }
    assert parse_style(style, geometry_type="Raster").classify(2.5).symbol.fill == "#d73027"
    with pytest.raises(StyleError, match="richiede un campo"):
        parse_style(style)

"""`layers sync`: every dataset is a layer, and re-syncing never wipes what an administrator edited."""

from dataclasses import replace

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from layers.declarations import load_all, parse
from layers.errors import DeclarationError
from layers.models import Layer, LayerEvent
from layers.sync import edited_fields, sync

pytestmark = pytest.mark.django_db

EXPECTED = {
    "comuni",
    "zone_omogenee",
    "realizzazioni",
    "stazioni",
    "ptm_lum",
    "ptm_rete_verde",
    "ptm_ambiti_agricoli_strategici",
    "remix_incubatore",
    "sttm1_anomalia_termica",
    "milano_nil",
    "indicatori_comuni",
    "indicatori_zone",
    *(
        f"pgt_{code}"
        for code in (
            "ambiti_trasformazione",
            "ambiti_rigenerazione",
            "aree_dismesse",
            "aree_agricole",
            "tessuto_urbano_consolidato",
            "consumo_suolo",
        )
    ),
}


def _declaration(slug):
    return next(d for d in load_all() if d.slug == slug)


def test_every_dataset_becomes_a_published_layer_with_synthetic_ones_flagged(comuni):
    report = sync()
    assert set(report.created) == EXPECTED
    layers = {layer.slug: layer for layer in Layer.objects.all()}
    assert set(layers) == EXPECTED and all(layer.published for layer in layers.values())
    synthetic = {slug for slug, layer in layers.items() if layer.synthetic}
    assert synthetic == {s for s in EXPECTED if s.startswith(("pgt_", "ptm_", "remix_", "sttm1_"))}
    assert all("sintetico" in layers[s].title_it and "synthetic" in layers[s].title_en for s in synthetic)
    # Each creation and publication is in the audit trail.
    assert LayerEvent.objects.filter(action="create").count() == len(EXPECTED)
    assert LayerEvent.objects.filter(action="publish", via="sync").count() == len(EXPECTED)
    # Every vector source exists with the declared columns (the views of mappature included).
    assert {slug for slug, problems in report.problems.items()} <= {"sttm1_anomalia_termica"}


def test_extent_and_feature_count_are_computed_from_the_data(comuni):
    sync()
    layer = Layer.objects.get(slug="comuni")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), ST_XMin(e), ST_YMax(e) FROM mappature_comune, "
            "LATERAL (SELECT ST_Transform(ST_SetSRID(ST_Extent(geom)::geometry, 32632), 4326) e "
            "FROM mappature_comune) x GROUP BY e"
        )
        count, west, north = cur.fetchone()
    assert layer.metadata["features"] == count == 133
    # Loaded before the layer was declared: the lineage and the update date come from the ETL's versions.
    assert layer.metadata["lineage"][0]["version"] == 1 and layer.data_updated_at is not None
    assert layer.metadata["extent"]["west"] == pytest.approx(west, abs=1e-6)
    assert layer.metadata["extent"]["north"] == pytest.approx(north, abs=1e-6)


def test_resync_keeps_admin_edits_and_follows_untouched_fields(comuni):
    sync()
    layer = Layer.objects.get(slug="comuni")
    editors = Group.objects.create(name="Pianificazione")
    # An administrator edits the title, the licence, the style; restricts and withdraws the layer.
    layer.title_it = "Comuni (titolo scelto dall'amministrazione)"
    layer.metadata = {**layer.metadata, "licence": "IODL 2.0"}
    layer.style = {"kind": "single", "symbol": {"fill": "#000000"}}
    layer.visibility, layer.published = Layer.Visibility.GROUP, False
    layer.save()
    layer.groups.add(editors)
    # The declaration then changes the title, the abstract, the licence and the keywords.
    declaration = _declaration("comuni")
    changed = replace(
        declaration,
        fields={
            **declaration.fields,
            "title_it": "Nuovo titolo dichiarato",
            "abstract_it": "Nuova descrizione dichiarata",
        },
        metadata={**declaration.metadata, "licence": "CC0", "keywords": ["nuova"]},
        published=True,
    )
    report = sync([changed])
    layer.refresh_from_db()
    assert layer.title_it == "Comuni (titolo scelto dall'amministrazione)"
    assert layer.metadata["licence"] == "IODL 2.0"
    assert layer.style == {"kind": "single", "symbol": {"fill": "#000000"}}
    assert layer.visibility == "group" and not layer.published and list(layer.groups.all()) == [editors]
    # Fields nobody edited follow the declaration.
    assert layer.abstract_it == "Nuova descrizione dichiarata"
    assert layer.metadata["keywords"] == ["nuova"]
    assert set(report.kept["comuni"]) == {"title_it", "metadata.licence", "style", "visibility"}
    assert set(edited_fields(layer)) == set(report.kept["comuni"])
    assert set(report.updated["comuni"]) == {"abstract_it", "metadata.keywords"}
    # Computed metadata is still there.
    assert layer.metadata["features"] == 133


def test_an_admin_edit_reverted_to_the_declared_value_follows_the_declaration_again(comuni):
    sync()
    declaration = _declaration("comuni")
    Layer.objects.filter(slug="comuni").update(title_en="Edited")
    sync([replace(declaration, fields={**declaration.fields, "title_en": "Declared v2"})])
    assert Layer.objects.get(slug="comuni").title_en == "Edited"
    Layer.objects.filter(slug="comuni").update(title_en="Declared v2")
    sync([replace(declaration, fields={**declaration.fields, "title_en": "Declared v3"})])
    assert Layer.objects.get(slug="comuni").title_en == "Declared v3"


def test_layers_not_declared_are_listed_not_deleted(comuni):
    Layer.objects.create(slug="manuale", title_it="Strato manuale", theme="ptm", source="mappature_comune")
    report = sync()
    assert report.undeclared == ["manuale"] and Layer.objects.filter(slug="manuale").exists()


def test_a_new_load_bumps_the_version_records_lineage_and_refreshes_the_extent(load_source, comuni):
    sync()
    before = Layer.objects.get(slug="zone_omogenee")
    load_source("comuni", force=True)
    after = Layer.objects.get(slug="zone_omogenee")
    assert after.data_version == before.data_version + 1
    assert after.metadata["lineage"][-1]["dataset"] == "comuni"
    assert after.metadata["features"] == 8 and after.metadata["extent"] == before.metadata["extent"]


def test_sync_command_reports_in_italian(comuni, capsys):
    call_command("layers", "sync")
    call_command("layers", "sync")
    assert "0 creati, 0 aggiornati" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"title_en": "", "abstract_it": None}, "mancano i campi obbligatori title_en, abstract_it"),
        ({"source": "mappature_comune; drop table x"}, "non è un nome di tabella"),
        ({"theme": "meteo"}, "non ammesso per 'theme'"),
        ({"attributes": [{"name": "Nome Con Spazi", "label_it": "x"}]}, "ogni attributo"),
        ({"metadata": {"extent": [0, 0, 1, 1]}}, "calcolati dai dati"),
        ({"style": {"kind": "graduated", "field": "x", "classes": [{"min": 3, "max": 1}]}}, "stile non valido"),
        ({"kind": "raster", "source": "var/rasters/x.png"}, "GeoTIFF"),
        (
            {
                "style": {"kind": "categorized", "field": "code", "classes": [{"value": "a"}]},
                "attributes": [{"name": "name", "label_it": "Nome"}],
            },
            "non è tra gli attributi esposti",
        ),
    ],
)
def test_bad_declarations_are_refused_naming_the_file(raw, message):
    base = {
        "slug": "x",
        "title_it": "X",
        "title_en": "X",
        "abstract_it": "a",
        "abstract_en": "a",
        "theme": "ptm",
        "source": "mappature_comune",
    }
    with pytest.raises(DeclarationError, match=message) as err:
        parse({**base, **raw}, {}, "prova.yaml")
    assert "prova.yaml" in str(err.value)

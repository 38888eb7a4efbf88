"""The public catalogue and its API: search, visibility, preview and metadata as a user meets them."""

import json

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection

from layers.models import Layer
from layers.sync import sync
from mappature.models import Comune, ThematicFeature

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(comuni):
    sync()
    return {layer.slug: layer for layer in Layer.objects.all()}


def _slugs(response):
    return [layer.slug for layer in response.context["layers"]]


def test_anonymous_users_see_only_published_public_layers(client, registry):
    Layer.objects.filter(slug="stazioni").update(published=False)
    Layer.objects.filter(slug="comuni").update(visibility=Layer.Visibility.AUTHENTICATED)
    Layer.objects.filter(slug="zone_omogenee").update(visibility=Layer.Visibility.GROUP)
    listed = _slugs(client.get("/catalogo/"))
    assert "stazioni" not in listed and "comuni" not in listed and "zone_omogenee" not in listed
    assert "realizzazioni" in listed
    for slug in ("stazioni", "comuni", "zone_omogenee"):
        assert client.get(f"/catalogo/{slug}/").status_code == 404
        assert client.get(f"/api/catalogo/{slug}/anteprima.geojson").status_code == 404
        assert client.get(f"/api/catalogo/{slug}/metadati.json").status_code == 404


def test_restricted_layers_reach_authenticated_users_and_group_members_only(client, registry):
    Layer.objects.filter(slug="comuni").update(visibility=Layer.Visibility.AUTHENTICATED)
    zone = Layer.objects.get(slug="zone_omogenee")
    zone.visibility = Layer.Visibility.GROUP
    zone.save()
    planners = Group.objects.create(name="Pianificatori")
    zone.groups.add(planners)
    user = User.objects.create_user("mario", password="x" * 12)
    client.force_login(user)
    listed = _slugs(client.get("/catalogo/"))
    assert "comuni" in listed and "zone_omogenee" not in listed
    assert client.get("/catalogo/zone_omogenee/").status_code == 404
    user.groups.add(planners)
    assert "zone_omogenee" in _slugs(client.get("/catalogo/"))
    assert client.get("/api/catalogo/zone_omogenee/anteprima.geojson").status_code == 200


def test_search_by_text_in_italian_or_english_and_by_theme(client, registry):
    assert _slugs(client.get("/catalogo/", {"q": "ferroviarie"})) == ["stazioni"]
    assert "comuni" in _slugs(client.get("/catalogo/", {"q": "municipalities"}))
    # Several words must all match (title, abstract or keywords).
    found = _slugs(client.get("/catalogo/", {"q": "consumo suolo"}))  # the PGT layer and the indicator layers
    assert set(found) == {"pgt_consumo_suolo", "indicatori_comuni", "indicatori_zone"}
    ptm = _slugs(client.get("/catalogo/", {"tema": "ptm"}))
    assert set(ptm) == {s for s, layer in registry.items() if layer.theme == "ptm"} and ptm
    assert _slugs(client.get("/catalogo/", {"q": "nessunacorrispondenza"})) == []
    assert "Nessuno strato corrisponde" in client.get("/catalogo/", {"q": "nessunacorrispondenza"}).content.decode()


def test_search_by_comune_lists_the_layers_with_data_there(client, registry, django_assert_max_num_queries):
    # One incubator area in Binasco only: the layer is found for Binasco, not for Trezzo sull'Adda.
    binasco = Comune.objects.get(name="Binasco")
    ThematicFeature.objects.create(
        layer="remix_incubatore",
        feature_key="t1",
        name="Area di prova",
        istat_code=binasco.istat_code,
        geom=binasco.geom.point_on_surface.buffer(50),
    )
    trezzo = Comune.objects.get(name="Trezzo sull'Adda")
    with django_assert_max_num_queries(6):
        found = _slugs(client.get("/catalogo/", {"comune": binasco.istat_code}))
    assert {"comuni", "zone_omogenee", "remix_incubatore"} <= set(found)
    assert "stazioni" not in found  # no station loaded
    assert "remix_incubatore" not in _slugs(client.get("/catalogo/", {"comune": trezzo.istat_code}))
    assert _slugs(client.get("/catalogo/", {"comune": "999999"})) == []


def test_preview_is_bounded_in_wgs84_with_declared_attributes_only(client, registry, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get("/api/catalogo/comuni/anteprima.geojson", {"limit": 10})
    data = json.loads(response.content)
    assert response["Content-Type"] == "application/geo+json"
    assert len(data["features"]) == 10
    declared = {a["name"] for a in registry["comuni"].attributes}
    assert all(set(f["properties"]) == declared for f in data["features"])
    extent = registry["comuni"].metadata["extent"]
    lon, lat = data["features"][0]["geometry"]["coordinates"][0][0][0]
    assert extent["west"] <= lon <= extent["east"] and extent["south"] <= lat <= extent["north"]
    # Asking for more than the cap gets the cap, never the whole table.
    big = json.loads(client.get("/api/catalogo/comuni/anteprima.geojson", {"limit": 100000}).content)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM mappature_comune")
        total = cur.fetchone()[0]
    from django.conf import settings

    assert len(big["features"]) == min(total, settings.REMIX["PREVIEW_MAX_FEATURES"])


def test_raster_layers_have_no_feature_preview(client, registry):
    assert client.get("/api/catalogo/sttm1_anomalia_termica/anteprima.geojson").status_code == 404
    assert client.get("/catalogo/sttm1_anomalia_termica/").status_code == 200


def test_layer_page_shows_metadata_lineage_legend_and_synthetic_label(client, registry, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        page = client.get("/catalogo/pgt_consumo_suolo/").content.decode()
    assert "dati sintetici" in page and "cmmi:remix-pgt_consumo_suolo" in page
    assert "Superficie urbanizzabile" in page  # a legend class
    assert "SERVICE=WMS" in page and "/esportazioni/?layer=pgt_consumo_suolo" in page  # layers.ogc links (LAYER_LINKS)
    comuni_page = client.get("/catalogo/comuni/").content.decode()
    assert "CC-BY 4.0" in comuni_page and "dati sintetici" not in comuni_page
    # The version loaded by the ETL is in the lineage table.
    assert "<td>comuni</td><td>1</td>" in comuni_page


def test_metadata_record_is_rndt_shaped_with_extent_and_lineage(client, registry):
    record = client.get("/api/catalogo/comuni/metadati.json").json()
    assert record["metadata_standard"] == {"name": "Linee Guida RNDT", "version": "2.0"}
    assert record["file_identifier"] == "cmmi:remix-comuni" and record["language"] == "ita"
    assert record["extent"] == registry["comuni"].metadata["extent"]
    assert record["lineage"]["versions"][0]["dataset"] == "comuni"
    assert record["inspire_theme"] and record["topic_category"] == "boundaries"
    assert record["dates"]["publication"] is not None


def test_english_catalogue_uses_english_titles(client, registry):
    page = client.get("/en/catalogo/", {"q": "stations"}).content.decode()
    assert "Railway and metro stations" in page and "Stazioni ferroviarie" not in page


def test_service_links_come_from_the_configured_providers(client, registry, settings):
    settings.REMIX = {**settings.REMIX, "LAYER_LINKS": ["tests.layers.test_catalogue.fake_links"]}
    page = client.get("/catalogo/comuni/").content.decode()
    assert "WMS di prova" in page and "/scarica/comuni.gpkg" in page


def fake_links(layer, request):
    return [
        {"kind": "service", "label": "WMS di prova", "url": "/ows?layers=" + layer.slug},
        {"kind": "download", "label": "GeoPackage", "url": f"/scarica/{layer.slug}.gpkg"},
    ]


def test_catalogue_json_follows_the_same_rules_within_a_query_budget(client, registry, django_assert_max_num_queries):
    Layer.objects.filter(slug="stazioni").update(published=False)
    with django_assert_max_num_queries(1):
        data = client.get("/api/catalogo/").json()
    slugs = [item["slug"] for item in data["layers"]]
    assert "stazioni" not in slugs and set(slugs) == set(Layer.objects.visible_to(None).values_list("slug", flat=True))
    comuni_item = next(item for item in data["layers"] if item["slug"] == "comuni")
    assert comuni_item["features"] == 133 and comuni_item["url"] == "/catalogo/comuni/"
    assert comuni_item["synthetic"] is False
    zone = next(item for item in data["layers"] if item["slug"] == "zone_omogenee")
    assert zone["style"]["field"] == "code" and len(zone["style"]["classes"]) == 8
    ptm = client.get("/api/catalogo/", {"tema": "ptm", "q": "verde"}).json()["layers"]
    assert [item["slug"] for item in ptm] == ["ptm_rete_verde"] and ptm[0]["synthetic"] is True


def test_a_raster_is_described_by_its_extent_and_found_by_the_comuni_it_covers(client, registry, tmp_path):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    from layers.registry import refresh_extent

    # A 1 km² raster in EPSG:32632 over the centre of Binasco only.
    centre = Comune.objects.get(name="Binasco").geom.point_on_surface
    path = tmp_path / "anomalia.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="float32",
        crs="EPSG:32632",
        transform=from_origin(centre.x - 500, centre.y + 500, 100, 100),
    ) as dst:
        dst.write(np.ones((1, 10, 10), dtype="float32"))
    layer = Layer.objects.get(slug="sttm1_anomalia_termica")
    layer.source = str(path)
    layer.save()
    refresh_extent(layer)
    extent = layer.metadata["extent"]
    assert extent["east"] - extent["west"] == pytest.approx(0.0128, abs=0.001)  # ~1 km of longitude at 45°N
    binasco, trezzo = (Comune.objects.get(name=n).istat_code for n in ("Binasco", "Trezzo sull'Adda"))
    assert "sttm1_anomalia_termica" in _slugs(client.get("/catalogo/", {"comune": binasco}))
    assert "sttm1_anomalia_termica" not in _slugs(client.get("/catalogo/", {"comune": trezzo}))
    page = client.get("/catalogo/sttm1_anomalia_termica/").content.decode()
    assert "Anteprima dell'estensione del raster" in page and "sotto il riferimento" in page


def test_rndt_xml_carries_the_record_for_harvesters(client, registry):
    import xml.etree.ElementTree as ET

    response = client.get("/api/catalogo/pgt_aree_dismesse/metadati.xml")
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    ns = {"gmd": "http://www.isotc211.org/2005/gmd", "gco": "http://www.isotc211.org/2005/gco"}
    text = lambda path: root.find(path, ns).text  # noqa: E731
    assert text("gmd:fileIdentifier/gco:CharacterString") == "cmmi:remix-pgt_aree_dismesse"
    assert text("gmd:metadataStandardName/gco:CharacterString") == "Linee Guida RNDT"
    ident = "gmd:identificationInfo/gmd:MD_DataIdentification/"
    assert "sintetico" in text(ident + "gmd:citation/gmd:CI_Citation/gmd:title/gco:CharacterString")
    assert "synthetic data" in text(ident + "gmd:abstract/gco:CharacterString")
    keywords = [k.text for k in root.iterfind(f"{ident}gmd:descriptiveKeywords//gmd:keyword/gco:CharacterString", ns)]
    assert "Utilizzo del territorio pianificato" in keywords
    assert client.get("/api/catalogo/comuni/metadati.xml").status_code == 200
    comuni = ET.fromstring(client.get("/api/catalogo/comuni/metadati.xml").content)
    west = comuni.find(f"{ident}gmd:extent//gmd:westBoundLongitude/gco:Decimal", ns).text
    assert float(west) == registry["comuni"].metadata["extent"]["west"]
    statement = comuni.find("gmd:dataQualityInfo//gmd:LI_Lineage/gmd:statement/gco:CharacterString", ns).text
    assert "comuni v1" in statement
    Layer.objects.filter(slug="comuni").update(published=False)
    assert client.get("/api/catalogo/comuni/metadati.xml").status_code == 404


def test_search_ignores_accents_and_case(client, registry):
    """ "citta metropolitana" finds what says "Città metropolitana", "CITTÀ" too."""
    plain = _slugs(client.get("/catalogo/", {"q": "citta metropolitana"}))
    accented = _slugs(client.get("/catalogo/", {"q": "CITTÀ Metropolitana"}))
    assert plain and plain == accented
    assert set(plain) == {
        s
        for s, layer in registry.items()
        if "città metropolitana"
        in " ".join(
            [
                layer.title_it,
                layer.title_en,
                layer.abstract_it,
                layer.abstract_en,
                str((layer.metadata or {}).get("keywords")),
            ]
        ).lower()
    }

"""The catalogue's layer page: versions table, per-layer service and download links, contact and attribution."""

import csv
import io
import json
import re
from datetime import datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import yaml

from layers import registry as layer_registry
from layers.models import Layer
from layers.sync import sync
from mappature.models import Comune

pytestmark = pytest.mark.django_db

DECLARATIONS = Path(__file__).resolve().parents[2] / "layers" / "declarations"


@pytest.fixture
def registry(comuni):
    sync()
    return {layer.slug: layer for layer in Layer.objects.all()}


def _versions_rows(html: str) -> list[list[str]]:
    table = html[html.index('id="layer-versions"') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def test_versions_table_shows_event_comune_rows_and_local_time(client, registry):
    milano = Comune.objects.get(name="Milano")
    # A PGT publication as consegne records it, and a big ETL load: both reach the comuni layer's lineage.
    layer_registry.dataset_loaded("comuni", 7, {"evento": "pubblicazione", "comune": milano.istat_code, "atto": 7})
    layer_registry.dataset_loaded("comuni", 8, {"rows": 12345, "checksum": "x", "location": "x"})
    lineage = Layer.objects.get(slug="comuni").metadata["lineage"]
    rows = _versions_rows(client.get("/catalogo/comuni/").content.decode())
    assert [r[0] for r in rows] == ["comuni"] * 3
    newest, published, first = rows
    rome = ZoneInfo("Europe/Rome")

    def local(entry):
        return datetime.fromisoformat(entry["loaded_at"]).astimezone(rome).strftime("%d/%m/%Y %H:%M")

    # Columns: source, version, event, comune, loaded at (Europe/Rome, Italian format), rows (Italian grouping).
    assert newest == ["comuni", "8", "caricamento dei dati", "—", local(lineage[-1]), "12.345"]
    assert published == ["comuni", "7", "pubblicazione", "Milano", local(lineage[-2]), "—"]
    assert first[2] == "caricamento dei dati" and first[4] == local(lineage[0])
    assert first[5] == str(Comune.objects.count()) == "133"
    english = _versions_rows(client.get("/en/catalogo/comuni/").content.decode())
    assert english[0][2] == "data load" and english[0][5] == "12,345" and english[1][2] == "publication"


def _links(html: str, section: str) -> list[str]:
    part = html[html.index(f'id="{section}"') :]
    part = part[: part.index("</section>")]
    return [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)"', part)]


def test_layer_page_links_getmap_getfeature_ogcapi_items_and_downloads(client, registry):
    html = client.get("/catalogo/comuni/").content.decode()
    services = _links(html, "layer-services")
    getmap = next(u for u in services if "REQUEST=GetMap" in u)
    params = {k: v[0] for k, v in parse_qs(urlsplit(getmap).query, keep_blank_values=True).items()}
    extent = registry["comuni"].metadata["extent"]
    assert params["LAYERS"] == "comuni" and params["CRS"] == "EPSG:4326"
    assert [float(x) for x in params["BBOX"].split(",")] == pytest.approx(
        [extent["south"], extent["west"], extent["north"], extent["east"]]
    )
    getfeature = next(u for u in services if "REQUEST=GetFeature" in u)
    assert "TYPENAMES=comuni" in getfeature
    assert any(urlsplit(u).path == "/ogcapi/collections/comuni/items" for u in services)
    # The GetMap link draws the layer (MapServer answers a PNG, not an exception).
    answer = client.get("/ows", params)
    assert answer.status_code == 200 and answer["Content-Type"].startswith("image/png"), answer.content[:300]
    items = client.get("/ogcapi/collections/comuni/items", {"f": "json"})
    assert items.status_code == 200 and items.json()["features"]
    downloads = _links(html, "layer-downloads")
    assert "/api/catalogo/comuni/dati.geojson" in downloads and "/api/catalogo/comuni/dati.csv" in downloads
    # The catalogue list links the same data downloads and the OGC API items.
    listing = client.get("/catalogo/", {"q": "comuni della"}).content.decode()
    item = listing[listing.index('data-slug="comuni"') :]
    item = item[: item.index("</li>")]
    assert "/api/catalogo/comuni/dati.csv" in item and "/ogcapi/collections/comuni/items" in item


def test_geojson_and_csv_downloads_hold_every_feature(client, registry):
    expected = dict(Comune.objects.values_list("istat_code", "name"))
    geojson = client.get("/api/catalogo/comuni/dati.geojson")
    assert geojson.status_code == 200 and "attachment" in geojson["Content-Disposition"]
    features = json.loads(b"".join(geojson) if geojson.streaming else geojson.content)["features"]
    assert {f["properties"]["istat_code"]: f["properties"]["name"] for f in features} == expected
    assert all(-180 <= f["geometry"]["coordinates"][0][0][0][0] <= 180 for f in features)
    answer = client.get("/api/catalogo/comuni/dati.csv")
    assert answer.status_code == 200 and answer["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert {r["istat_code"]: r["name"] for r in rows} == expected
    assert all(r["wkt"].startswith("MULTIPOLYGON") for r in rows)
    assert client.get("/api/catalogo/sttm1_anomalia_termica/dati.csv").status_code == 404  # a raster


def test_download_larger_than_the_cap_is_refused_with_a_message(client, registry, settings):
    settings.REMIX = {**settings.REMIX, "OGC_SERVICE": {**settings.REMIX["OGC_SERVICE"], "max_features": 100}}
    answer = client.get("/api/catalogo/comuni/dati.csv")
    assert answer.status_code == 413 and "GeoPackage" in answer.content.decode()


def test_every_declared_layer_has_an_attribution_and_a_contact_shown_on_its_page(client, registry):
    common = yaml.safe_load((DECLARATIONS / "_common.yaml").read_text())["metadata"]["contact"]
    assert common["organisation"] and (common.get("email") or common.get("url"))
    for path in sorted(DECLARATIONS.glob("*.yaml")):
        if path.name.startswith("_"):
            continue
        declared = yaml.safe_load(path.read_text())
        attribution = (declared.get("metadata") or {}).get("attribution")
        assert attribution, f"{path.name} declares no attribution"
        slug = declared["slug"]
        if not Layer.objects.filter(slug=slug, published=True, visibility="public").exists():
            continue
        html = client.get(f"/catalogo/{slug}/").content.decode()
        assert attribution.replace("'", "&#x27;") in html, slug
        assert common["organisation"] in html and common["url"] in html, slug


def test_ogc_help_page_uses_the_site_layout_and_styles(client, registry):
    html = client.get("/servizi/ogc/").content.decode()
    css = Path(__file__).resolve().parents[2].joinpath("static/remix/remix.css").read_text()
    assert 'class="site-header"' in html and "remix.css" in html
    assert 'class="ogc-help"' in html and "main:has(.ogc-help)" in css and ".ogc-help pre.copy" in css
    assert "onclick=" not in html  # the content security policy forbids inline handlers
    assert 'href="/catalogo/comuni/"' in html

"""The map page is linked from the header, served with no external asset, in Italian and English."""

import re

import pytest

pytestmark = pytest.mark.django_db


def test_header_links_the_map_and_the_page_needs_no_cdn(client, map_data):
    assert 'href="/mappa/"' in client.get("/").content.decode()
    page = client.get("/mappa/").content.decode()
    scripts = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert scripts and all(s.startswith("/") for s in scripts), scripts
    assert "Leaflet.VectorGrid" in page
    assert "PINQuA" in page  # filter lists come from the loaded interventions
    assert 'href="/en/mappa/"' in client.get("/en/").content.decode()

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


def _nav(html: str) -> str:
    return re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)


@pytest.mark.parametrize("lang,label", [("", "Mappa della rigenerazione"), ("/en", "Regeneration map")])
def test_every_page_has_the_same_header_navigation(client, map_data, lang, label):
    """Home, map, catalogue, export form and the PGT login all show one nav: same links, same words."""
    navs = {}
    for path in ("/", "/mappa/", "/catalogo/", "/esportazioni/", "/consegne/accesso/"):
        answer = client.get(lang + path)
        assert answer.status_code == 200, path
        nav = _nav(answer.content.decode())
        navs[path] = re.sub(r'\s*aria-current="page"', "", nav)
        assert re.search(rf'href="{lang}/mappa/"( aria-current="page")?>{label}</a>', nav), (path, nav)
    assert len(set(navs.values())) == 1, navs
    assert f'aria-current="page">{label}</a>' in _nav(client.get(lang + "/mappa/").content.decode())

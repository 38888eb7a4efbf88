"""The content security policy is sent and the pages satisfy it: no inline script or handler left.

Chromium reports every violation as a ``securitypolicyviolation`` event; a listener installed
before any page script collects them, and the test opens the main pages and uses them a little.
"""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COLLECT = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def watched(browser):
    """A page that obeys the policy (unlike the shared fixture) and reports every violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="it-IT", bypass_csp=False)
    page = context.new_page()
    page.route(
        "**/*",
        lambda route: route.continue_()
        if route.request.url.startswith(("http://localhost", "http://127.0.0.1"))
        else route.abort(),
    )
    page.add_init_script(COLLECT)
    console = []
    page.on("console", lambda m: console.append(m.text) if "Content Security Policy" in m.text else None)
    yield page, console
    context.close()


def _violations(page, console):
    return page.evaluate("window.__csp") + console


def test_the_policy_is_sent_and_forbids_inline_scripts(client, db):
    policy = client.get("/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["script-src"]
    assert directives["frame-ancestors"] == "'none'"


def test_an_inline_script_would_be_reported(watched, live_server, comuni):
    """The listener does see violations: an injected inline script is blocked and reported."""
    page, console = watched
    page.goto(f"{live_server.url}/")
    page.evaluate("""() => { const s = document.createElement('script');
                             s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }""")
    page.wait_for_timeout(200)
    assert page.evaluate("window.__ran") is None
    assert any("script-src" in v for v in _violations(page, console))


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_main_pages_raise_no_violation(watched, live_server, map_data, prefix):
    page, console = watched
    base = f"{live_server.url}{prefix}"
    seen = {}

    def visit(path, ready=None):
        page.goto(f"{base}{path}")
        if ready:
            page.wait_for_selector(ready, state="attached", timeout=20000)
        page.wait_for_timeout(200)
        seen[path] = _violations(page, console)

    visit("/", "#map[data-loaded]")
    page.fill("#comune-search", "Besate")
    page.press("#comune-search", "Enter")  # the search form does not submit the page (was inline)
    assert page.url in (f"{base}/", base)
    visit("/mappa/", "#map[data-loaded='1']")
    visit("/catalogo/")
    visit("/catalogo/zone_omogenee/", "#preview-map[data-loaded]")
    visit("/servizi/ogc/")
    page.click("#ows-url")  # selects the URL to copy (was an inline onclick)
    assert page.evaluate("document.activeElement.selectionEnd - document.activeElement.selectionStart") > 0
    for path in ("/esportazioni/", "/consegne/accesso/", "/non-esiste/"):
        visit(path)
    assert all(v == [] for v in seen.values()), seen

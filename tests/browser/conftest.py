"""A real headless Chromium (Debian's package) driven by Playwright against the live server."""

import os
import shutil

import pytest

# Playwright's sync API keeps an event loop in this thread; the ORM calls of the fixtures are
# still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("REMIX_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        # Playwright's wait_for_function evaluates its predicate with eval, which the content security
        # policy forbids: contexts bypass it unless a test asks otherwise (tests/browser/test_csp.py).
        new_context = chromium.new_context

        def context_for_tests(**options):
            options.setdefault("bypass_csp", True)
            return new_context(**options)

        chromium.new_context = context_for_tests
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="it-IT")
    page = context.new_page()
    # The map must work with no internet: block everything that is not the test server.
    page.route(
        "**/*",
        lambda route: route.continue_()
        if route.request.url.startswith(("http://localhost", "http://127.0.0.1"))
        else route.abort(),
    )
    yield page
    context.close()

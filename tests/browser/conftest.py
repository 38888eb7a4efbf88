"""A real headless Chromium (Debian's package) driven by Playwright against the live server."""

import os
import shutil
import threading
import time

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


def wait_for_live_server_requests(live_server, timeout=60):
    """Block until every request the live server is still answering has finished.

    socketserver.ThreadingMixIn keeps its request threads in ``_threads`` (what server_close joins).
    """
    threads = getattr(getattr(live_server.thread, "httpd", None), "_threads", None)
    if not isinstance(threads, list):
        return
    deadline = time.monotonic() + timeout
    for thread in list(threads):
        if thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))
        if thread.is_alive():
            raise RuntimeError(f"a live server request was still running {timeout} s after the test")


@pytest.fixture(autouse=True)
def _live_server_quiet_before_flush(request):
    """Close the test's pages and let the live server finish their requests before the database flush.

    Closing a page drops its connections, but the live server's threads go on answering the
    requests already received (a summary, a tile); the flush of transactional_db (set up before this
    fixture, so torn down after it) is a TRUNCATE that can deadlock with those queries.
    """
    yield
    if "live_server" not in request.fixturenames or "browser" not in request.fixturenames:
        return
    for context in request.getfixturevalue("browser").contexts:
        context.close()
    wait_for_live_server_requests(request.getfixturevalue("live_server"))

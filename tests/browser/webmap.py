"""Helpers shared by the planners' map browser tests."""

from django.db import connection


def one_row(sql, params=()):
    """The first row of a query, to compare what the page shows with the database."""
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def open_map(page, live_server, query=""):
    """Open /mappa/ and wait until its layers are loaded."""
    page.goto(f"{live_server.url}/mappa/{query}")
    page.wait_for_function("document.querySelector('#map').dataset.loaded === '1'", timeout=20000)

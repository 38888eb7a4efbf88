"""/healthz: is the database reachable, is a background worker alive (for proxies and operators).

HTTP 200 when the database answers, 503 otherwise (a load balancer takes the app server out);
the worker's state is reported, not enforced: the app serves pages without it.
"""

from __future__ import annotations

from django import db
from django.db import connection
from django.http import JsonResponse

WORKER_FRESH_S = 120  # a worker that has not written a heartbeat for this long is down


def _worker(cur) -> str:
    """ "up"/"down" from procrastinate's worker table (a heartbeat in the last WORKER_FRESH_S seconds),
    "unknown" when the table is missing (migrations not applied)."""
    cur.execute("SELECT to_regclass('procrastinate_workers') IS NOT NULL")
    if cur.fetchone()[0]:
        cur.execute(
            "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - make_interval(secs => %s)",
            [WORKER_FRESH_S],
        )
        return "up" if cur.fetchone()[0] else "down"
    return "unknown"


def healthz(request):
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
            try:
                worker = _worker(cur)
            except db.DatabaseError:
                worker = "unknown"
    except (db.OperationalError, db.InterfaceError):
        connection.close_if_unusable_or_obsolete()
        response = JsonResponse({"status": "down", "database": "down", "worker": "down"}, status=503)
        response["Retry-After"] = "30"
    else:
        response = JsonResponse({"status": "ok", "database": "up", "worker": worker})
    response["Cache-Control"] = "no-store"
    return response

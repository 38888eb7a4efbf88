"""Bounds on what a client can make the server do: the client's address, login lockouts, rate limits.

Rate limits are fixed windows counted in the table ``remix_ratecounter`` with one atomic statement
per request (every app server counts the same requests); the limits of every scope are in
``settings.RATE_LIMITS``, the views they apply to in ``settings.RATE_LIMITED_VIEWS``.
"""

from __future__ import annotations

import hashlib
import logging
import math
import random
import time

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from . import conf

log = logging.getLogger("remix")


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the entry of X-Forwarded-For that the nearest of our
    ``REMIX_PROXY_COUNT`` reverse proxies saw (anything further left can be forged by the client)."""
    count = conf.proxy_count()
    if count:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()]
        if len(forwarded) >= count:
            return forwarded[-count]
    return request.META.get("REMOTE_ADDR") or "0.0.0.0"  # noqa: S104 - a placeholder, never bound


def client_key(request) -> str:
    """Who is counted: the API token's user, the logged-in user, else the client's address."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def too_many_requests(request, retry_after: int, message: str | None = None) -> HttpResponse:
    """HTTP 429 with Retry-After and a translated "try again in N s"; JSON for API paths."""
    retry_after = max(1, int(retry_after))
    text = message or _("Troppe richieste: riprova tra %(seconds)s s.") % {"seconds": retry_after}
    if request.path.startswith("/api/") or "application/json" in request.headers.get("Accept", ""):
        response = JsonResponse({"error": text, "retry_after": retry_after}, status=429)
    elif request.path == "/ows":
        response = HttpResponse(text, status=429, content_type="text/plain; charset=utf-8")
    else:
        response = render(request, "429.html", {"message": text, "retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


# One statement, atomic across app servers: the window's count, restarted when a new window begins.
_COUNT_SQL = """
INSERT INTO remix_ratecounter (key, window_start, hits) VALUES (%s, %s, 1)
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN remix_ratecounter.window_start = EXCLUDED.window_start THEN remix_ratecounter.hits + 1 ELSE 1 END,
    window_start = EXCLUDED.window_start
RETURNING hits"""


def rate_limited(request, scope: str) -> HttpResponse | None:
    """Count this request against ``settings.RATE_LIMITS[scope]``; the 429 answer when over it."""
    limit, window = settings.RATE_LIMITS[scope]
    now = time.time()
    start = math.floor(now / window) * window
    who = hashlib.sha256(client_key(request).encode()).hexdigest()[:40]
    try:
        with connection.cursor() as cur:
            cur.execute(_COUNT_SQL, [f"{scope}:{who}", int(start)])
            count = cur.fetchone()[0]
            if random.random() < 0.001:  # noqa: S311 - housekeeping, not security
                cur.execute("DELETE FROM remix_ratecounter WHERE window_start < %s", [int(now) - 86400])
    except DatabaseError as err:  # the database is down: the view will say so (503)
        log.warning("rate limit %s not counted: %s", scope, err)
        return None
    if count > limit:
        return too_many_requests(request, math.ceil(start + window - now))
    return None


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer once a username or an address is locked out (every login path)."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    message = _("Troppi tentativi di accesso non riusciti: riprova tra %(minutes)s minuti.") % {"minutes": minutes}
    return too_many_requests(request, int(settings.AXES_COOLOFF_TIME.total_seconds()), message)


def csrf_failure(request, reason=""):
    """A refused form (CSRF) in the site's layout; scripts should use an API token instead."""
    return render(
        request,
        "403.html",
        {"message": _("Il modulo è scaduto o non è stato inviato da questa pagina: ricarica la pagina e riprova.")},
        status=403,
    )

"""The answer when the database cannot be reached: 503 with Retry-After, never a stack trace."""

from __future__ import annotations

import logging

from django import db
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

log = logging.getLogger("remix")
RETRY_AFTER = 30  # seconds: a restart of PostgreSQL takes a few


def database_unavailable(request) -> HttpResponse:
    message = _("Il database non è raggiungibile in questo momento: riprova tra %(seconds)s secondi.") % {
        "seconds": RETRY_AFTER
    }
    if request.path.startswith("/api/") or request.path in ("/ows", "/healthz"):
        response = JsonResponse({"error": message, "retry_after": RETRY_AFTER}, status=503)
    else:
        # Rendered without the context processors: the user and the session live in the database.
        body = render_to_string("503.html", {"request": request, "message": message})
        response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, db.OperationalError | db.InterfaceError):
            log.warning("database unavailable: %s", exception)
            # A broken connection is dropped so the next request opens a new one.
            for conn in db.connections.all(initialized_only=True):
                conn.close_if_unusable_or_obsolete()
            return database_unavailable(request)
        return None


class ApiTokenMiddleware:
    """``Authorization: Token <key>`` (or ``Bearer <key>``) on /api/: the request is that user's, and
    CSRF is not checked (a token is sent deliberately, never by a browser on its own). A wrong key is
    a 401, never an anonymous request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _sep, key = header.partition(" ")
        if request.path.startswith("/api/") and scheme.lower() in ("token", "bearer"):
            from .models import ApiToken

            user = ApiToken.user_for(key.strip()) if key.strip() else None
            if user is None:
                response = JsonResponse({"error": _("Token API non valido o scaduto.")}, status=401)
                response["WWW-Authenticate"] = 'Token realm="Remix API"'
                return response
            request.user = user
            request._dont_enforce_csrf_checks = True
        return self.get_response(request)


class RateLimitMiddleware:
    """The limits of ``settings.RATE_LIMITS`` on the views named in ``settings.RATE_LIMITED_VIEWS``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from django.conf import settings

        from .security import rate_limited

        match = request.resolver_match
        if match is None:
            return None
        views = settings.RATE_LIMITED_VIEWS
        scope = views.get(f"{request.method} {match.view_name}") or views.get(match.view_name)
        return rate_limited(request, scope) if scope else None

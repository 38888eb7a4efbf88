"""A lean WSGI path for anonymous OWS GETs, the bulk of GIS clients' traffic (tiles, features).

A request to ``/ows`` with no credentials and no session cookie can only ever see the public
layers, so it skips Django's middleware and URL routing and goes straight to the OGC service;
every other request (and any request with credentials) takes the full Django stack.
"""

from __future__ import annotations

from django import db
from django.conf import settings
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest

from . import service
from .errors import OgcError

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}


def _anonymous(environ) -> bool:
    return (
        environ.get("PATH_INFO") == "/ows"
        and environ.get("REQUEST_METHOD") in ("GET", "HEAD")
        and not environ.get("HTTP_AUTHORIZATION")
        and settings.SESSION_COOKIE_NAME not in environ.get("HTTP_COOKIE", "")
    )


def _answer(environ) -> tuple[str, list[tuple[str, str]], bytes]:
    request = WSGIRequest(environ)
    try:
        online = request.build_absolute_uri("/ows") + "?"
    except DisallowedHost:
        return (
            "400 Bad Request",
            [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")],
            b"Bad Request (400)",
        )
    query = environ.get("QUERY_STRING", "")
    lang = "en" if request.GET.get("LANGUAGE", request.GET.get("language", "")).lower() in {"en", "eng"} else "it"
    try:
        answer = service.dispatch(None, query, online, lang=lang)
    except OgcError as err:
        return (
            "503 Service Unavailable",
            [("Content-Type", "text/plain; charset=utf-8"), ("Cache-Control", "no-store")],
            str(err).encode(),
        )
    except (db.OperationalError, db.InterfaceError):
        # The database is down or restarting: say when to come back, and drop the broken connection.
        db.connection.close_if_unusable_or_obsolete()
        return (
            "503 Service Unavailable",
            [("Content-Type", "text/plain; charset=utf-8"), ("Retry-After", "30"), ("Cache-Control", "no-store")],
            b"Database unavailable: retry in 30 s.",
        )
    headers = [
        ("Content-Type", answer.content_type),
        ("Content-Length", str(len(answer.body))),
        ("Access-Control-Allow-Origin", "*"),
        ("Cache-Control", service.cache_control(answer, None)),
        ("X-Content-Type-Options", "nosniff"),
    ]
    return f"{answer.status} {_REASONS.get(answer.status, 'Error')}", headers, answer.body


def with_ows_fast_path(django_app):
    """Wrap Django's WSGI application: anonymous OWS GETs are answered directly."""

    def application(environ, start_response):
        if not _anonymous(environ):
            return django_app(environ, start_response)
        signals.request_started.send(sender=None, environ=environ)  # database connection housekeeping
        try:
            status, headers, body = _answer(environ)
        finally:
            signals.request_finished.send(sender=None)
        start_response(status, headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

    return application

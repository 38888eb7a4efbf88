"""Thin views of the OGC services: the /ows endpoint and the copy-paste page for QGIS users."""

from __future__ import annotations

import base64
import binascii

from django.contrib.auth import authenticate
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..models import Layer
from . import service
from .errors import OgcError

MAX_POST_BYTES = 1_000_000


@csrf_exempt  # OGC POST requests (XML) come from GIS clients, never from our forms
@require_http_methods(["GET", "POST", "HEAD"])
def ows(request):
    """WMS/WFS for the layers the requester may see (session or HTTP Basic credentials)."""
    user, refused = _ows_user(request)
    if refused:
        refused["Cache-Control"] = "no-store"
        return refused
    body = request.body if request.method == "POST" else b""
    if len(body) > MAX_POST_BYTES:
        return _no_store(
            HttpResponse(_("Richiesta troppo grande."), status=413, content_type="text/plain; charset=utf-8")
        )
    lang = "en" if request.GET.get("LANGUAGE", request.GET.get("language", "")).lower() in {"en", "eng"} else "it"
    try:
        answer = service.dispatch(
            user,
            request.META.get("QUERY_STRING", ""),
            request.build_absolute_uri(reverse("ows")) + "?",
            body=body,
            lang=lang,
        )
    except OgcError as err:
        message = _("Servizio OGC non disponibile: %(error)s") % {"error": err}
        return _no_store(HttpResponse(message, status=503, content_type="text/plain; charset=utf-8"))
    response = HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = service.cache_control(answer, user)
    return response


def _no_store(response):
    response["Cache-Control"] = "no-store"  # an error is never cached: the same request may succeed later
    return response


def _ows_user(request):
    """GIS clients send HTTP Basic credentials; a browser has its session. Wrong credentials → 401."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.lower().startswith("basic "):
        return request.user, None
    try:
        username, _sep, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        username, password = "", ""
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        refused = HttpResponse(_("Credenziali non valide."), status=401, content_type="text/plain; charset=utf-8")
        refused["WWW-Authenticate"] = 'Basic realm="Remix OWS", charset="UTF-8"'
        return None, refused
    return user, None


def qgis(request):
    """Copy-paste instructions to add the services (or one layer) to QGIS and ArcGIS."""
    url = request.build_absolute_uri(reverse("ows"))
    layers = Layer.objects.visible_to(request.user)
    layer = layers.filter(slug=request.GET.get("layer", "")).first()
    return render(
        request,
        "layers/ogc_qgis.html",
        {
            "ows_url": url,
            "layer": layer,
            "layers": layers,
            "wms_url": f"{url}?SERVICE=WMS&VERSION=1.3.0&REQUEST=GetCapabilities",
            "wfs_url": f"{url}?SERVICE=WFS&VERSION=2.0.0&REQUEST=GetCapabilities",
            "ogcapi_url": request.build_absolute_uri(reverse("ogcapi:landing")),
        },
    )

"""Top-level URL wiring: each app brings its own urls module."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path

from .health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", include("mappature.api_urls")),
    path("", include("layers.ogc.urls_ows")),
    path("ogcapi/", include("layers.ogc.urls_ogcapi")),
    path("api/", include("layers.exports.api_urls")),
    path("tiles/", include("mappature.tile_urls")),
    path("api/", include("layers.api_urls")),
    path("api/", include("indicatori.api_urls")),
    path("api/incontri/", include("incontri.api_urls")),
]

urlpatterns += i18n_patterns(
    path("admin/", admin.site.urls),
    path("", include("layers.ogc.urls")),
    path("", include("layers.exports.urls")),
    path("consegne/", include("consegne.urls")),
    path("incontri/", include("incontri.urls")),
    path("", include("layers.urls")),
    path("", include("mappature.urls")),
    path("atlante/", include("indicatori.urls")),
    prefix_default_language=False,
)

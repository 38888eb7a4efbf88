"""OGC API – Features at /ogcapi/ (language-neutral, like /ows: GIS clients do not follow prefixes)."""

from django.urls import path

from . import ogcapi

app_name = "ogcapi"
urlpatterns = [
    path("", ogcapi.landing, name="landing"),
    path("api", ogcapi.openapi, name="openapi"),
    path("conformance", ogcapi.conformance, name="conformance"),
    path("collections", ogcapi.collections, name="collections"),
    path("collections/<slug:collection_id>", ogcapi.collection, name="collection"),
    path("collections/<slug:collection_id>/items", ogcapi.items, name="items"),
    path("collections/<slug:collection_id>/items/<str:feature_id>", ogcapi.item, name="item"),
]

"""Catalogue pages (language-prefixed)."""

from django.urls import path

from . import views

app_name = "layers"
urlpatterns = [
    path("catalogo/", views.catalogue_page, name="catalogue"),
    path("catalogo/<slug:slug>/", views.layer_page, name="layer"),
]

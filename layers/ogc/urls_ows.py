"""The language-neutral /ows endpoint (GIS clients do not follow language prefixes)."""

from django.urls import path

from . import views

urlpatterns = [path("ows", views.ows, name="ows")]

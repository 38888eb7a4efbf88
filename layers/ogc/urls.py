"""Translated pages of the OGC services (the help page for QGIS and ArcGIS users)."""

from django.urls import path

from . import views

app_name = "ogc"
urlpatterns = [path("servizi/ogc/", views.qgis, name="qgis")]

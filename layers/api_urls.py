"""JSON API of the catalogue: a bounded preview of a layer's features and its metadata record."""

from django.urls import path

from . import views

app_name = "catalogue_api"
urlpatterns = [
    path("catalogo/", views.catalogue_json, name="catalogue"),
    path("catalogo/<slug:slug>/anteprima.geojson", views.preview_geojson, name="preview"),
    path("catalogo/<slug:slug>/dati.geojson", views.download_geojson, name="download-geojson"),
    path("catalogo/<slug:slug>/dati.csv", views.download_csv, name="download-csv"),
    path("catalogo/<slug:slug>/metadati.json", views.metadata_json, name="metadata"),
    path("catalogo/<slug:slug>/metadati.xml", views.metadata_xml, name="metadata-xml"),
]

"""JSON/GeoJSON API of the territory and the dynamic maps."""

from django.urls import path

from . import views

app_name = "api"
urlpatterns = [
    path("comuni.geojson", views.comuni_geojson, name="comuni-geojson"),
    path("comuni/<str:istat_code>", views.comune_detail, name="comune-detail"),
]

"""JSON API of the GeoPackage exports (used by the web map and scripts)."""

from django.urls import path

from . import views

app_name = "exports_api"
urlpatterns = [
    path("esportazioni/", views.api_create, name="create"),
    path("esportazioni/<int:pk>/<str:token>/", views.api_job, name="job"),
]

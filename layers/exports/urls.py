"""Translated pages of the GeoPackage exports: form, progress page, download."""

from django.urls import path

from . import views

app_name = "exports"
urlpatterns = [
    path("esportazioni/", views.export_form, name="form"),
    path("esportazioni/<int:pk>/<str:token>/", views.job_page, name="job"),
    path("esportazioni/<int:pk>/<str:token>/scarica", views.download, name="download"),
]

from django.urls import path

from . import views

app_name = "atlante"
urlpatterns = [
    path("", views.index, name="index"),
    path("<slug:area>/", views.sheet, name="sheet"),
    path("<slug:area>/mappa.png", views.map_png, name="map"),
    path("<slug:area>/scheda.pdf", views.pdf, name="pdf"),
    path("<slug:area>/schede.zip", views.zona_zip, name="zip"),
]

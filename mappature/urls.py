"""Pages of the planners' portal (language-prefixed)."""

from django.urls import path

from . import views

app_name = "mappature"
urlpatterns = [
    path("", views.home, name="home"),
    path("mappa/", views.webmap, name="webmap"),
    path("mappa/stampa.pdf", views.print_pdf, name="print"),
]

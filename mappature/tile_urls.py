"""Vector tiles of the registry layers: /tiles/<layer>/<z>/<x>/<y>.pbf."""

from django.urls import path

from . import api_views

app_name = "tiles"
urlpatterns = [
    path("<slug:slug>/<int:z>/<int:x>/<int:y>.pbf", api_views.tile, name="tile"),
]

"""JSON/GeoJSON API of the territory and the dynamic maps."""

from django.urls import path

from . import api_views, views

app_name = "api"
urlpatterns = [
    path("comuni.geojson", views.comuni_geojson, name="comuni-geojson"),
    path("comuni/<str:istat_code>", views.comune_detail, name="comune-detail"),
    path("openapi.json", api_views.openapi, name="openapi"),
    path("layers", api_views.layers, name="layers"),
    path("layers/<slug:slug>/features", api_views.features, name="layer-features"),
    path("layers/<slug:slug>/extent", api_views.extent, name="layer-extent"),
    path("identify", api_views.identify, name="identify"),
    path("summary", api_views.summary, name="summary"),
    path("compare", api_views.compare, name="compare"),
    path("realizzazioni/<int:pk>/nearby", api_views.intervention_nearby, name="intervention-nearby"),
    path("realizzazioni/<int:pk>/posizione", api_views.move_intervention, name="intervention-move"),
    path("opportunita/<slug:kind>/<int:pk>/nearby", api_views.opportunity_nearby, name="opportunity-nearby"),
]

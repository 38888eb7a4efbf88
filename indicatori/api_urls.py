from django.urls import path

from . import api_views

app_name = "indicatori-api"
urlpatterns = [
    path("indicatori", api_views.indicator_list, name="list"),
    path("indicatori/aree.geojson", api_views.areas, name="areas"),
    path("indicatori/<slug:code>", api_views.indicator_detail, name="detail"),
    path("indicatori/<slug:code>/valori", api_views.indicator_values, name="values"),
    path("indicatori/<slug:code>/serie", api_views.indicator_series, name="series"),
    path("indicatori/<slug:code>/storia", api_views.indicator_history, name="history"),
]

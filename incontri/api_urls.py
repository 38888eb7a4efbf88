"""JSON API (under /api/incontri/)."""

from django.urls import path

from . import views

app_name = "incontri_api"
urlpatterns = [
    path("realizzazioni", views.api_realizzazioni, name="realizzazioni"),
    path("realizzazioni/<int:pk>/aree", views.api_realizzazione_areas, name="realizzazione_areas"),
    path("realizzazioni/<int:pk>/aree.gpkg", views.api_realizzazione_gpkg, name="realizzazione_gpkg"),
    path("idee", views.api_ideas, name="ideas"),
    path("idee/<int:pk>/aree", views.api_idea_areas, name="idea_areas"),
    path("aree/<slug:kind>/<int:pk>", views.api_area, name="area"),
    path("aree/<slug:kind>/<int:pk>/contesto", views.api_context, name="context"),
    path("area-al-punto", views.api_area_at, name="area_at"),
    path("zone/<slug:code>/classifica", views.api_zona_ranking, name="zona_ranking"),
    path("statistiche/<slug:area_set>.<str:fmt>", views.api_statistics_export, name="statistics_export"),
    path("statistiche/<slug:area_set>", views.api_statistics_many, name="statistics_many"),
    path("statistiche/<slug:area_set>/<str:area_id>", views.api_statistics, name="statistics"),
    path("bilancio", views.api_bilancio, name="bilancio"),
]

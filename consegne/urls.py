"""URLs of PGT deliveries (under /consegne/)."""

from django.contrib.auth.views import LogoutView
from django.urls import path

from . import views

app_name = "consegne"
urlpatterns = [
    path("", views.consegna_list, name="list"),
    path("accesso/", views.LoginView.as_view(), name="login"),
    path("uscita/", LogoutView.as_view(next_page="consegne:login"), name="logout"),
    path("nuova/", views.upload, name="upload"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/stato.json", views.status, name="status"),
    path("<int:pk>/rapporto.json", views.report_json, name="report_json"),
    path("<int:pk>/rapporto.csv", views.report_csv, name="report_csv"),
    path("<int:pk>/risultati.geojson", views.findings_geojson, name="findings_geojson"),
    path("<int:pk>/revisione/", views.review, name="review"),
    path("<int:pk>/pubblica/", views.publish, name="publish"),
    path("<int:pk>/rinvia/", views.send_back, name="send_back"),
    path("atti/<int:atto_id>/tiles/<int:z>/<int:x>/<int:y>.pbf", views.atto_tile, name="atto_tile"),
    path("atti/<int:atto_id>/ripristina/", views.rollback, name="rollback"),
]

"""URLs of PGT deliveries (under /consegne/)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.views import LogoutView
from django.urls import path, reverse_lazy

from . import views

app_name = "consegne"
urlpatterns = [
    path("", views.consegna_list, name="list"),
    path("accesso/", views.LoginView.as_view(), name="login"),
    path("uscita/", LogoutView.as_view(next_page="consegne:login"), name="logout"),
    # Password reset by e-mail; the same link sets the first password of an invited account.
    path(
        "password/",
        auth_views.PasswordResetView.as_view(
            template_name="consegne/password_reset.html",
            email_template_name="consegne/email/password_reset.txt",
            subject_template_name="consegne/email/password_reset_subject.txt",
            success_url=reverse_lazy("consegne:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password/inviata/",
        auth_views.PasswordResetDoneView.as_view(template_name="consegne/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "password/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="consegne/password_set.html", success_url=reverse_lazy("consegne:password_reset_complete")
        ),
        name="password_reset_confirm",
    ),
    path(
        "password/impostata/",
        auth_views.PasswordResetCompleteView.as_view(template_name="consegne/password_set_done.html"),
        name="password_reset_complete",
    ),
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

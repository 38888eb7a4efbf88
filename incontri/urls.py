"""Pages (language-prefixed)."""

from django.urls import path

from . import views

app_name = "incontri"
urlpatterns = [
    path("bilancio/", views.bilancio_page, name="bilancio"),
    path("bilancio.pdf", views.bilancio_pdf, name="bilancio_pdf"),
    path("idee/", views.ideas, name="ideas"),
    path("idee/<int:pk>/", views.idea_detail, name="idea"),
    path("atti/<int:pk>/diffusivita/", views.atto_flags, name="atto_flags"),
]

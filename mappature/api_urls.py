"""JSON/GeoJSON API of the territory and the dynamic maps.

Paths are Italian, like the domain and the pages (docs/glossary.md); the English paths of the first
version answer with a permanent redirect to their Italian name, query string kept."""

from django.http import HttpResponsePermanentRedirect
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt

from . import api_views, views

app_name = "api"


def moved(name: str):
    """A view answering an old path with a permanent redirect to the route ``api:<name>``: 301 for GET and
    HEAD, 308 for any other method (so that the client repeats it with the same method and body)."""

    @csrf_exempt  # it only redirects: the new path checks what it must
    def view(request, **kwargs):
        url = reverse(f"{app_name}:{name}", kwargs=kwargs)
        query = request.META.get("QUERY_STRING", "")
        response = HttpResponsePermanentRedirect(f"{url}?{query}" if query else url)
        if request.method not in ("GET", "HEAD"):
            response.status_code = 308
        return response

    view.moved_to = f"{app_name}:{name}"
    return view


urlpatterns = [
    path("comuni.geojson", views.comuni_geojson, name="comuni-geojson"),
    path("comuni/<str:istat_code>", views.comune_detail, name="comune-detail"),
    path("openapi.json", api_views.openapi, name="openapi"),
    path("strati", api_views.layers, name="layers"),
    path("strati/<slug:slug>/elementi", api_views.features, name="layer-features"),
    path("strati/<slug:slug>/estensione", api_views.extent, name="layer-extent"),
    path("strati/<slug:slug>/estensioni", api_views.extents, name="layer-extents"),
    path("identifica", api_views.identify, name="identify"),
    path("riepilogo", api_views.summary, name="summary"),
    path("confronto", api_views.compare, name="compare"),
    path("realizzazioni/<int:pk>/vicinanze", api_views.intervention_nearby, name="intervention-nearby"),
    path("realizzazioni/<int:pk>/posizione", api_views.move_intervention, name="intervention-move"),
    path("opportunita/<slug:kind>/<int:pk>/vicinanze", api_views.opportunity_nearby, name="opportunity-nearby"),
    # English paths of the first version (kept working for scripts and bookmarks).
    path("layers", moved("layers")),
    path("layers/<slug:slug>/features", moved("layer-features")),
    path("layers/<slug:slug>/extent", moved("layer-extent")),
    path("identify", moved("identify")),
    path("summary", moved("summary")),
    path("compare", moved("compare")),
    path("realizzazioni/<int:pk>/nearby", moved("intervention-nearby")),
    path("opportunita/<slug:kind>/<int:pk>/nearby", moved("opportunity-nearby")),
]

"""Views of the planners' portal: thin edges over mappature.queries."""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import queries


@require_GET
def home(request):
    strings = {
        "zona_unconfirmed": _("assegnazione dedotta, non confermata da una fonte"),
        "no_results": _("Nessun comune trovato"),
        "no_basemap": _("Nessuno sfondo (non serve la rete)"),
    }
    return render(request, "mappature/home.html", {"zone": queries.zone_summary(), "i18n_strings": strings})


@require_GET
def comuni_geojson(request):
    return HttpResponse(queries.comuni_feature_collection(), content_type="application/geo+json")


@require_GET
def comune_detail(request, istat_code: str):
    card = queries.comune_card(istat_code)
    if card is None:
        raise Http404("Comune non trovato")
    return JsonResponse(card)

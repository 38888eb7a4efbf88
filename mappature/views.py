"""Views of the planners' portal: thin edges over mappature.queries."""

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import conf, queries


@require_GET
def home(request):
    strings = {
        "zona_unconfirmed": _("assegnazione dedotta, non confermata da una fonte"),
        "no_results": _("Nessun comune trovato"),
        "no_basemap": _("Nessuno sfondo (non serve la rete)"),
        "area_official": _("ufficiale ISTAT; dai confini generalizzati: %(km2)s km²"),
        "area_computed": _("calcolata dai confini generalizzati"),
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


@require_GET
def webmap(request):
    """The planners' map: layer tree, selection by comune/zona, filters, summary, table, print."""
    config = {
        "basemaps": conf.BASEMAPS,
        "default_basemap": conf.DEFAULT_BASEMAP,
        "default_layers": conf.MAP_DEFAULT_LAYERS,
        "zone": [{"code": z["code"], "name": z["name"]} for z in queries.zone_summary()],
        "comuni": queries.comuni_index(),
        "nil": queries.nil_index(),
        "strings": _webmap_strings(),
        "can_move": request.user.has_perm("mappature.change_realizzazione"),
    }
    return render(
        request,
        "mappature/webmap.html",
        {
            "zone": config["zone"],
            "options": queries.filter_options(),
            "config": config,
        },
    )


def _webmap_strings() -> dict:
    return {
        "no_basemap": _("Nessuno sfondo (non serve la rete)"),
        "offline": _("Sfondo non raggiungibile: mappa senza sfondo."),
        "synthetic": _("dati sintetici"),
        "select_comune": _("Seleziona il comune"),
        "select_zona": _("Seleziona la zona"),
        "nothing_here": _("Nessun elemento qui."),
        "whole_cmm": _("Città metropolitana di Milano"),
        "rows": _("Righe %(from)s–%(to)s di %(total)s"),
        "no_rows": _("Nessuna riga"),
        "more_than": _("oltre %(n)s"),
        "interventions": _("Realizzazioni"),
        "funding": _("Finanziamento totale"),
        "per_inhabitant": _("Finanziamento per abitante"),
        "population": _("Popolazione"),
        "comuni": _("Comuni"),
        "by_source": _("Finanziamento per fonte"),
        "opportunities": _("Aree di opportunità (ettari)"),
        "compare_need_selection": _("Selezionare prima un comune o una zona."),
        "copied": _("Collegamento copiato"),
        "map_title": _("Mappa della rigenerazione"),
        "exported": _("Immagine pronta: clic per scaricarla"),
        "error": _("Errore"),
        "nearby": _("Cosa c'è vicino (1 km)"),
        "opportunities_near": _("Opportunità nel comune o entro 1 km"),
        "stations": _("Stazioni"),
        "legend_of": _("Legenda di"),
        "gpkg_no_layers": _("Accendi almeno uno strato da esportare."),
        "gpkg_running": _("Esportazione in corso: %(done)s di %(total)s elementi"),
        "gpkg_done": _("GeoPackage pronto: %(n)s elementi (%(area)s)"),
        "n_of_m_without_amount": _("%(n)s di %(m)s senza importo"),
        "per_inhabitant_covers": _(
            "Per abitante: importi noti di %(n)s realizzazioni su %(m)s, divisi per la "
            "popolazione ISTAT (%(pop)s) dei %(k)s comuni selezionati; un intervento su più "
            "comuni conta per intero in ciascuna selezione che ne tocca uno."
        ),
        "source_row": _("%(n)s realizzazioni"),
        "source_no_amount": _("%(source)s: %(n)s di %(m)s senza importo"),
        "several_sources": _("più fonti"),
        "request_failed": _("Richiesta non riuscita: %(error)s. La mappa e la tabella non mostrano questa selezione."),
        "km2": _("km²"),
        "move": _("Sposta sulla mappa"),
        "opacity": _("Opacità"),
        "sort_by": _("Ordina per questa colonna"),
        "filter_column": _("Filtra la colonna"),
        "filter_placeholder": _("filtra…"),
        "chip_zona": _("Zona omogenea"),
        "chip_comune": _("Comune"),
        "chip_column": _("Colonna"),
        "remove_filter": _("Togli il filtro"),
        "filter_labels": {
            "programme": _("Programma"),
            "funding_source": _("Fonte di finanziamento"),
            "status": _("Stato"),
            "domain": _("Ambito tematico"),
            "year": _("Anno"),
            "amount_min": _("Importo minimo"),
            "amount_max": _("Importo massimo"),
        },
        "no_comune": _("Nessun comune corrisponde a «%(q)s»."),
        "no_place": _("Nessun comune né NIL di Milano corrisponde a «%(q)s»."),
        "nil_label": _("%(name)s (NIL %(id)s, Milano)"),
        "measure_hint": _("Clic sulla mappa per i punti; doppio clic per finire."),
        "measure_distance": _("Distanza"),
        "measure_area": _("Area"),
        "measure_perimeter": _("perimetro"),
        "move_hint": _("Trascina il punto nella posizione giusta, scegli la precisione e salva."),
        "moved": _("Posizione salvata (registrata con il tuo nome)."),
        "precision": {
            "comune": _("comune (punto nel comune, non il sito)"),
            "address": _("indirizzo"),
            "site": _("sito"),
        },
        "per_km2": _("ab./km²"),
    }


@require_GET
def print_pdf(request):
    """The map as a PDF (A4/A3, portrait/landscape, chosen scale), made on the server: see mappature.printing."""
    from django.utils.translation import get_language

    from .errors import MappatureError
    from .filters import parse_filter
    from .printing import parse_print, render_pdf

    lang = "en" if (get_language() or "it").startswith("en") else "it"
    try:
        flt, req = parse_filter(request.GET), parse_print(request.GET)
        pdf = render_pdf(request.user, req, flt, lang)
    except MappatureError as err:
        return JsonResponse({"error": str(err)}, status=err.status)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = 'inline; filename="remix-mappa.pdf"'
    return response

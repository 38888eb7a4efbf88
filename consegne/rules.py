"""Every validation rule Remix reports: its severity and the Italian message a technician reads.

Findings store the rule code and its parameters; the message is rendered in the reader's
language when shown, so a report reads in Italian or English alike.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ERROR, WARNING, INFO = "errore", "avviso", "info"

RULES = {
    "missing_layer": (ERROR, _("Manca lo strato obbligatorio «%(layer)s».")),
    "unknown_layer": (WARNING, _("Lo strato «%(name)s» non fa parte della specifica %(spec)s: non viene caricato.")),
    "missing_part": (ERROR, _("Allo shapefile «%(name)s» manca il file %(ext)s: lo strato non si può leggere.")),
    "missing_prj": (ERROR, _("Lo shapefile «%(name)s» non ha il file .prj: il sistema di riferimento è "
                             "sconosciuto. Esportalo di nuovo indicando il sistema (per esempio EPSG:32632).")),
    "encoding_detected": (WARNING, _("Lo shapefile «%(name)s» non ha il file .cpg: la codifica dei caratteri "
                                     "è stata riconosciuta come %(encoding)s. Aggiungi il file .cpg per "
                                     "evitare lettere accentate errate.")),
    "unreadable": (ERROR, _("Lo strato «%(layer)s» non è leggibile: %(detail)s")),
    "crs_unknown": (ERROR, _("Il sistema di riferimento dello strato «%(layer)s» non è riconosciuto.")),
    "crs_not_accepted": (ERROR, _("Il sistema di riferimento EPSG:%(srid)s dello strato «%(layer)s» non è "
                                  "ammesso: usa uno tra %(accepted)s.")),
    "crs_reprojected": (INFO, _("Lo strato «%(layer)s» è in EPSG:%(srid)s ed è stato riproiettato in "
                                "EPSG:32632.")),
    "geom_flattened": (INFO, _("Lo strato «%(layer)s» ha coordinate Z o M: sono state ignorate, le geometrie "
                               "sono conservate in 2D.")),
    "empty_layer": (WARNING, _("Lo strato «%(layer)s» non contiene elementi.")),
    "missing_field": (ERROR, _("Nello strato «%(layer)s» manca il campo %(field)s.")),
    "field_type": (ERROR, _("Il campo %(field)s dello strato «%(layer)s» è di tipo %(found)s; la specifica "
                            "chiede %(expected)s.")),
    "extra_field": (INFO, _("Il campo %(field)s dello strato «%(layer)s» non è previsto dalla specifica e "
                            "non viene conservato.")),
    "geom_missing": (ERROR, _("L'elemento non ha geometria (vuota o mancante).")),
    "geom_type": (ERROR, _("L'elemento ha geometria %(found)s, ma lo strato richiede poligoni.")),
    "geom_invalid": (ERROR, _("Geometria non valida: %(reason)s. Correggila nel GIS (per esempio con "
                              "«Ripara geometrie»).")),
    "sliver": (WARNING, _("Poligono molto piccolo (%(area)s m²): probabile scheggia da eliminare.")),
    "duplicate_geom": (ERROR, _("Geometria identica a quella dell'elemento %(other)s dello stesso strato.")),
    "duplicate_key": (ERROR, _("Il valore «%(value)s» del campo %(field)s è usato da più elementi.")),
    "mandatory": (ERROR, _("Il campo obbligatorio %(field)s è vuoto.")),
    "code_unknown": (ERROR, _("Il valore «%(value)s» del campo %(field)s non è nella lista dei codici "
                              "ammessi (%(allowed)s).")),
    "code_description": (WARNING, _("La descrizione %(dfield)s «%(value)s» non corrisponde al codice "
                                    "%(code)s («%(expected)s»).")),
    "istat_mismatch": (ERROR, _("Il codice ISTAT «%(value)s» non è quello del comune di %(comune)s "
                                "(%(expected)s).")),
    "outside_boundary": (ERROR, _("L'elemento esce dal confine comunale per %(area)s m² (tolleranza "
                                  "%(tol)s m).")),
    "overlap": (ERROR, _("L'elemento si sovrappone all'elemento %(other)s per %(area)s m²: in questo "
                         "strato gli elementi non possono sovrapporsi.")),
    "gap": (ERROR, _("Un'area di %(area)s m² del territorio comunale non è coperta dallo strato, che deve "
                     "coprire tutto il comune.")),
    "at_su_agricole": (WARNING, _("L'ambito di trasformazione ricade su aree agricole per %(area)s m² "
                                  "(elemento %(other)s).")),
    "cross_layer": (WARNING, _("L'elemento ricade sullo strato «%(other_layer)s» per %(area)s m² (elemento "
                               "%(other)s).")),
    "internal_error": (ERROR, _("Errore interno durante la validazione (%(detail)s). Riprova più tardi o "
                                "contatta la Città metropolitana.")),
}


def severity(rule: str) -> str:
    return RULES.get(rule, RULES["cross_layer"])[0]


def message(rule: str, params: dict) -> str:
    """The finding's message in the active language."""
    template = RULES.get(rule, RULES["cross_layer"])[1]
    try:
        return str(template) % params
    except (KeyError, TypeError, ValueError):
        return f"{rule}: {params}"

"""Every validation rule Remix reports: its severity and the Italian message a technician reads.

Findings store the rule code and its parameters; the message is rendered in the reader's
language when shown, so a report reads in Italian or English alike.
"""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext_lazy as _

ERROR, WARNING, INFO = "errore", "avviso", "info"

RULES = {
    "missing_layer": (ERROR, _("Manca lo strato obbligatorio «%(layer)s».")),
    "unknown_layer": (WARNING, _("Lo strato «%(name)s» non fa parte della specifica %(spec)s: non viene caricato.")),
    "missing_part": (ERROR, _("Allo shapefile «%(name)s» manca il file %(ext)s: lo strato non si può leggere.")),
    "missing_prj": (
        ERROR,
        _(
            "Lo shapefile «%(name)s» non ha il file .prj: il sistema di riferimento è "
            "sconosciuto. Esportalo di nuovo indicando il sistema (per esempio EPSG:32632)."
        ),
    ),
    "encoding_detected": (
        WARNING,
        _(
            "Lo shapefile «%(name)s» non ha il file .cpg: la codifica dei caratteri "
            "è stata riconosciuta come %(encoding)s. Aggiungi il file .cpg per "
            "evitare lettere accentate errate."
        ),
    ),
    "unreadable": (ERROR, _("Lo strato «%(layer)s» non è leggibile: %(detail)s")),
    "crs_unknown": (ERROR, _("Il sistema di riferimento dello strato «%(layer)s» non è riconosciuto.")),
    "crs_not_accepted": (
        ERROR,
        _("Il sistema di riferimento EPSG:%(srid)s dello strato «%(layer)s» non è ammesso: usa uno tra %(accepted)s."),
    ),
    "crs_reprojected": (INFO, _("Lo strato «%(layer)s» è in EPSG:%(srid)s ed è stato riproiettato in EPSG:32632.")),
    "geom_flattened": (
        INFO,
        _("Lo strato «%(layer)s» ha coordinate Z o M: sono state ignorate, le geometrie sono conservate in 2D."),
    ),
    "empty_layer": (WARNING, _("Lo strato «%(layer)s» non contiene elementi.")),
    "missing_field": (ERROR, _("Nello strato «%(layer)s» manca il campo %(field)s.")),
    "field_type": (
        ERROR,
        _("Il campo %(field)s dello strato «%(layer)s» è di tipo %(found)s; la specifica chiede %(expected)s."),
    ),
    "extra_field": (
        INFO,
        _("Il campo %(field)s dello strato «%(layer)s» non è previsto dalla specifica e non viene conservato."),
    ),
    "geom_missing": (ERROR, _("L'elemento non ha geometria (vuota o mancante).")),
    "geom_type": (ERROR, _("L'elemento ha geometria %(found)s, ma lo strato richiede poligoni.")),
    "geom_invalid": (
        ERROR,
        _("Geometria non valida: %(reason)s. Correggila nel GIS (per esempio con «Ripara geometrie»)."),
    ),
    "sliver": (WARNING, _("Poligono molto piccolo (%(area)s m²): probabile scheggia da eliminare.")),
    "duplicate_geom": (ERROR, _("Geometria identica a quella dell'elemento %(other)s dello stesso strato.")),
    "duplicate_key": (ERROR, _("Il valore «%(value)s» del campo %(field)s è usato da più elementi.")),
    "mandatory": (ERROR, _("Il campo obbligatorio %(field)s è vuoto.")),
    "code_unknown": (
        ERROR,
        _("Il valore «%(value)s» del campo %(field)s non è nella lista dei codici ammessi (%(allowed)s)."),
    ),
    "code_description": (
        WARNING,
        _("La descrizione %(dfield)s «%(value)s» non corrisponde al codice %(code)s («%(expected)s»)."),
    ),
    "istat_mismatch": (ERROR, _("Il codice ISTAT «%(value)s» non è quello del comune di %(comune)s (%(expected)s).")),
    "outside_boundary": (ERROR, _("L'elemento esce dal confine comunale per %(area)s m² (tolleranza %(tol)s m).")),
    "overlap": (
        ERROR,
        _(
            "L'elemento si sovrappone all'elemento %(other)s per %(area)s m²: in questo "
            "strato gli elementi non possono sovrapporsi."
        ),
    ),
    "gap": (
        ERROR,
        _(
            "Un'area di %(area)s m² del territorio comunale non è coperta dallo strato, che deve "
            "coprire tutto il comune."
        ),
    ),
    "at_su_agricole": (
        WARNING,
        _("L'ambito di trasformazione ricade su aree agricole per %(area)s m² (elemento %(other)s)."),
    ),
    "cross_layer": (
        WARNING,
        _("L'elemento ricade sullo strato «%(other_layer)s» per %(area)s m² (elemento %(other)s)."),
    ),
    # A file that lies or holds values the database cannot take: each named, never an internal error.
    "encoding_mismatch": (
        WARNING,
        _(
            "Il file .cpg dello shapefile «%(name)s» dichiara la codifica «%(declared)s», "
            "ma i dati non sono in quella codifica: sono stati letti come %(encoding)s "
            "(riconosciuta dai dati). Controlla le lettere accentate e correggi il file "
            ".cpg."
        ),
    ),
    "encoding_unknown_cpg": (
        WARNING,
        _(
            "Il file .cpg dello shapefile «%(name)s» indica una codifica sconosciuta "
            "(«%(declared)s»): i dati sono stati letti come %(encoding)s (riconosciuta "
            "dai dati). Controlla le lettere accentate e correggi il file .cpg."
        ),
    ),
    "encoding_undetectable": (
        ERROR,
        _(
            "La codifica dei caratteri dello shapefile «%(name)s» non è "
            "riconoscibile (file .cpg: «%(declared)s»): esportalo di nuovo in UTF-8 "
            "con il file .cpg."
        ),
    ),
    "record_count": (
        ERROR,
        _(
            "Lo shapefile «%(name)s» è incoerente: il file .shp contiene %(shp)s geometrie, "
            "il file .dbf dichiara %(dbf)s record e l'indice .shx ne elenca %(shx)s. Alcuni "
            "elementi andrebbero persi: esporta di nuovo lo strato."
        ),
    ),
    "records_deleted": (
        INFO,
        _(
            "Il file .dbf dello shapefile «%(name)s» contiene %(count)s record marcati come "
            "cancellati: non vengono caricati."
        ),
    ),
    "gpkg_view": (
        ERROR,
        _(
            "Lo strato «%(layer)s» del GeoPackage è una vista, non una tabella: Remix accetta solo "
            "tabelle semplici. Esporta lo strato come tabella."
        ),
    ),
    "gpkg_virtual": (
        ERROR,
        _(
            "Lo strato «%(layer)s» del GeoPackage è una tabella virtuale (%(module)s): Remix "
            "accetta solo tabelle semplici. Esporta lo strato come tabella."
        ),
    ),
    "gpkg_triggers": (
        ERROR,
        _(
            "La tabella dello strato «%(layer)s» del GeoPackage ha dei trigger (%(triggers)s): "
            "Remix accetta solo tabelle semplici. Esporta lo strato senza trigger."
        ),
    ),
    "text_too_long": (
        ERROR,
        _(
            "Il campo %(field)s è lungo %(length)s caratteri: al massimo se ne ammettono "
            "%(max)s (la larghezza massima di un campo di testo .dbf). Accorcia il testo."
        ),
    ),
    "text_not_utf8": (
        ERROR,
        _("Il campo %(field)s contiene byte che non sono testo valido (UTF-8): correggi il valore nel GIS."),
    ),
    "key_shortened": (
        INFO,
        _(
            "Il valore del campo %(field)s è lungo %(length)s caratteri: per confrontare le "
            "versioni Remix usa una chiave abbreviata a %(max)s caratteri; il valore resta "
            "intero negli attributi."
        ),
    ),
    "number_invalid": (
        ERROR,
        _(
            "Il campo numerico %(field)s vale «%(value)s», che non è un numero: indica un "
            "valore numerico o lascia il campo vuoto."
        ),
    ),
    "number_out_of_range": (
        ERROR,
        _("Il valore %(value)s del campo numerico %(field)s è fuori dall'intervallo ammesso (da -%(max)s a %(max)s)."),
    ),
    "hole_outside_shell": (
        ERROR,
        _(
            "Un anello interno del poligono (un buco di %(hole)s m²) cade fuori dal suo "
            "anello esterno: verrebbe letto come una parte piena in più (area letta "
            "%(read)s m² invece di %(file)s m²). Correggi la geometria nel GIS."
        ),
    ),
    "geom_area_changed": (
        WARNING,
        _(
            "Leggendo il file gli anelli del poligono sono stati riorganizzati e l'area "
            "è cambiata da %(file)s m² a %(read)s m²: controlla la geometria."
        ),
    ),
    "overlap_grouped": (
        ERROR,
        _(
            "Nello strato ci sono %(count)s sovrapposizioni tra elementi, per un totale di "
            "%(area)s m²: troppe per elencarle tutte. Sulla mappa le %(shown)s più estese; "
            "nel rapporto le prime %(listed)s coppie."
        ),
    ),
    "cross_layer_grouped": (
        WARNING,
        _(
            "%(count)s elementi dello strato ricadono sullo strato «%(other_layer)s», "
            "per un totale di %(area)s m²: troppi per elencarli tutti. Sulla mappa i "
            "%(shown)s casi più estesi; nel rapporto i primi %(listed)s."
        ),
    ),
    "timeout": (
        ERROR,
        _(
            "La validazione ha superato il tempo massimo di %(minutes)s minuti (durante: %(step)s) "
            "ed è stata interrotta: la consegna è troppo grande o complessa per essere controllata. "
            "Dividila o semplificala, oppure contatta la Città metropolitana."
        ),
    ),
    "internal_error": (
        ERROR,
        _("Errore interno durante la validazione (%(detail)s). Riprova più tardi o contatta la Città metropolitana."),
    ),
}


def severity(rule: str) -> str:
    return RULES.get(rule, RULES["cross_layer"])[0]


MAX_SHOWN = 200  # characters of a delivered value a message quotes (a 10,000-character value is cut)
CODES = {"srid", "value", "code", "expected", "other"}  # numbers that are codes, shown as they are


def _shown(key: str, value):
    """A parameter as a message shows it: quantities in the active language's format, long text cut."""
    if isinstance(value, bool) or key in CODES:
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
            value = int(value)  # 400.0 m² reads "400 m²"
        return formats.number_format(value, decimal_pos=None, use_l10n=True, force_grouping=True)
    if isinstance(value, str) and len(value) > MAX_SHOWN:
        return value[:MAX_SHOWN] + "…"
    return value


def message(rule: str, params: dict) -> str:
    """The finding's message in the active language."""
    template = RULES.get(rule, RULES["cross_layer"])[1]
    try:
        return str(template) % {key: _shown(key, value) for key, value in params.items()}
    except (KeyError, TypeError, ValueError, AttributeError):
        return f"{rule}: {params}"

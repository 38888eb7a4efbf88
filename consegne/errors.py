"""The consegne exception family; each also inherits the built-in it resembles."""

from django.utils.translation import gettext_lazy as _


class ConsegneError(Exception):
    """Root of every error consegne raises on purpose; its message is for the user (Italian)."""


class UploadRejected(ConsegneError, ValueError):
    """The uploaded file is unsafe or unusable: nothing was written."""


class NotAllowed(ConsegneError, PermissionError):
    """The user may not do this on this comune or delivery."""


class WrongState(ConsegneError, ValueError):
    """The action does not apply to the delivery or act in its current state."""


class VersionChanged(WrongState):
    """The PGT in force changed after the reviewer compared the bozza with it: review again."""


class SpecError(ConsegneError, ValueError):
    """A specification file is malformed."""


MESSAGES = {
    "too_big": _("Il file supera la dimensione massima consentita (%(limit)s MB)."),
    "bad_extension": _("Formato non accettato: carica un archivio .zip di shapefile oppure un GeoPackage .gpkg."),
    "corrupt_zip": _("L'archivio zip è danneggiato o incompleto e non può essere aperto."),
    "corrupt_gpkg": _("Il file non è un GeoPackage valido."),
    "nested": _("L'archivio contiene un altro archivio («%(name)s»): carica gli shapefile direttamente."),
    "traversal": _("L'archivio contiene un percorso non consentito («%(name)s»)."),
    "symlink": _("L'archivio contiene un collegamento simbolico («%(name)s»), non consentito."),
    "bomb": _(
        "L'archivio si espande in modo anomalo (oltre %(limit)s MB o rapporto di compressione "
        "sospetto): non viene aperto."
    ),
    "too_many": _("L'archivio contiene troppi file (%(count)s)."),
    "foreign_file": _("L'archivio contiene un file di tipo non previsto («%(name)s»)."),
    "empty": _("L'archivio non contiene alcuno shapefile."),
    "duplicate_file": _("L'archivio contiene più volte il file «%(name)s» (in cartelle diverse): lasciane uno solo."),
    "not_allowed": _("Non hai i permessi per questa operazione su questo comune."),
    "wrong_state": _("Operazione non possibile: la consegna è nello stato «%(state)s»."),
    "nothing_to_publish": _("Non c'è un atto in bozza da pubblicare."),
    "not_superato": _("Si può ripristinare solo una versione superata."),
    "vigente_changed": _(
        "La versione in vigore del PGT di %(comune)s è cambiata dopo che hai aperto la revisione "
        "(un altro revisore ha pubblicato o ripristinato una versione): la bozza non è stata "
        "pubblicata. Riesamina le differenze rispetto alla nuova versione in vigore."
    ),
}

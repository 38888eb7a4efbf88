"""The ETL's exception family; each also inherits the built-in it resembles."""

from django.utils.translation import gettext_lazy as _


class EtlError(Exception):
    """Root of every error the ETL raises on purpose; its message is for the user."""


class SourceNotFound(EtlError, FileNotFoundError):
    """A declared source location does not exist or cannot be reached."""


class SourceUnreadable(EtlError, ValueError):
    """The source exists but its content cannot be read (corrupt, truncated, wrong format)."""


class MissingCrs(EtlError, ValueError):
    """The source carries no coordinate reference system and none is declared."""


class DeclarationError(EtlError, ValueError):
    """A source declaration is wrong (unknown field, target or reader)."""


class LoadRejected(EtlError, ValueError):
    """Validation left nothing loadable, or the source asks to fail on any rejected row."""


MESSAGES = {
    "not_found": _("La sorgente «%(location)s» non esiste o non è raggiungibile."),
    "unreadable": _("Il file «%(location)s» non è leggibile: %(detail)s"),
    "no_crs": _(
        "«%(location)s» non dichiara il sistema di riferimento (manca il file .prj?) e la sorgente non ne indica uno."
    ),
    "empty": _("La sorgente «%(location)s» non contiene elementi."),
}

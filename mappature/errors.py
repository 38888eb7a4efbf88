"""Exceptions of the dynamic maps: one root, mapped to HTTP statuses in one place (api_views)."""

from django.utils.translation import gettext_lazy as _


class MappatureError(Exception):
    """Root of every error the dynamic maps raise on purpose."""

    status = 400


class FilterError(MappatureError, ValueError):
    """A filter value the user typed cannot be understood (the message says which and why)."""


class UnknownLayerError(MappatureError, LookupError):
    """The layer does not exist, is not published or is not visible to this user."""

    status = 404

    def __init__(self, slug: str):
        super().__init__(_("Strato non trovato: %(slug)s") % {"slug": slug})


class NotFoundError(MappatureError, LookupError):
    """A feature, comune or zona named in the request does not exist."""

    status = 404

"""The exception family of the layers app: every error it raises is a LayersError."""

from django.core.exceptions import PermissionDenied


class LayersError(Exception):
    """Root of the layers app's errors; the message is Italian and shown to users as is."""


class StyleError(LayersError, ValueError):
    """A style declaration that cannot become a classification (unknown kind, bad classes)."""


class DeclarationError(LayersError, ValueError):
    """A layer declaration (layers/declarations/*.yaml) that is incomplete or inconsistent."""


class SourceError(LayersError, LookupError):
    """A layer's source table, view or raster is missing or lacks a declared column."""


class ActionPermissionError(LayersError, PermissionDenied):
    """The user may not run this action (publish, unpublish) on layers."""

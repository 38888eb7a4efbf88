"""Errors of the GeoPackage exports: part of the ``layers.ogc`` family, with a message a user can read."""

from ..ogc.errors import OgcError


class ExportError(OgcError):
    """Root of the export errors; ``str(err)`` is shown to the user (Italian, translated)."""


class ExportRejected(ExportError, ValueError):
    """The request cannot be honoured as asked: unknown layer or area, over the configured limit."""


class ExportFailed(ExportError, RuntimeError):
    """GDAL failed while writing the file; nothing is offered for download."""

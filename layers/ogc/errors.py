"""The one exception family of the OGC services and exports; views map it to HTTP status codes."""

from ..errors import LayersError


class OgcError(LayersError):
    """Root of every error raised by ``layers.ogc`` and ``layers.exports`` (a ``LayersError``)."""


class MapServerUnavailable(OgcError, ImportError):
    """MapServer's Python binding (Debian's ``python3-mapscript``) cannot be loaded."""


class LayerSourceError(OgcError, LookupError):
    """A registry layer points at a table, view or raster that does not exist or has no geometry."""

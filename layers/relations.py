"""A registry layer resolved to its relation in PostGIS, once, for every reader of layers.

The map (``mappature.layer_source``), the OGC services (``layers.ogc.published``), the exports and the
registry's own checks all start from :func:`resolve`: one reading of the catalogue (through
``remix.db``, cached per data version), one rule for the feature key and the geometry column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from remix import db

from .errors import SourceError
from .models import Layer

GEOMETRY_COLUMN = "geom"  # the ETL's geometry column; other relations use their first geometry column


@dataclass(frozen=True)
class Relation:
    """A table or view with its columns (name → PostgreSQL type), feature key and geometry."""

    schema: str
    name: str
    columns: dict[str, str]
    key: str | None
    geom_column: str | None
    geometry_type: str = "GEOMETRY"  # upper case, without the Z/M suffix (as geometry_columns.type)
    srid: int = 0

    @property
    def identifier(self) -> db.Identifier:
        """The schema-qualified name, quoted when composed (``db.compose("… FROM {t}", t=rel.identifier)``)."""
        return db.ident(self.schema, self.name)

    def __contains__(self, column: str) -> bool:
        return column in self.columns


def split(source: str) -> tuple[str, str]:
    """``"schema.table"`` or ``"table"`` (in ``public``) → ``(schema, table)``."""
    schema, _, name = source.rpartition(".")
    return schema or "public", name


def _geometry_column(columns: dict[str, str]) -> str | None:
    if columns.get(GEOMETRY_COLUMN, "").startswith("geometry"):
        return GEOMETRY_COLUMN
    return next((c for c, t in columns.items() if t.startswith("geometry")), None)


def resolve(layer: Layer) -> Relation:
    """The relation of a vector layer; :class:`~layers.errors.SourceError` when it is missing."""
    schema, name = split(layer.source)
    columns = db.columns((schema, name), version=(layer.slug, layer.data_version))
    if not columns:
        raise SourceError(f"tabella o vista {layer.source} non trovata")
    geom = _geometry_column(columns)
    kind, srid = db.geometry_of(columns[geom]) if geom else ("GEOMETRY", 0)  # from the cached types: no query
    return Relation(schema, name, columns, db.key_column(columns), geom, _DIMENSIONS.sub("", kind), srid)


_DIMENSIONS = re.compile(r"(ZM|Z|M)$")  # MULTIPOLYGONZ → MULTIPOLYGON, as PostGIS' geometry_columns names it

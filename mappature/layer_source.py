"""Resolve a registry layer into what the map queries need: its relation, columns and filterable keys.

Built on ``layers.relations.resolve``, the one reading of a layer's relation (catalogue through
``remix.db``, cached per data version): identifiers come from the registry (``Layer.source``), are
checked against PostgreSQL's catalogue and composed with ``psycopg.sql``, never taken from the request.
"""

from __future__ import annotations

from dataclasses import dataclass

from layers import relations
from layers.errors import SourceError
from layers.models import Layer
from layers.relations import Relation
from remix import db

from .errors import UnknownLayerError
from .filters import TRUE, MapFilter

GEOMETRY = "geom"  # the map's queries read ``t.geom`` (EPSG:32632)
_SKIP = {GEOMETRY}


@dataclass(frozen=True)
class LayerSource:
    """A vector layer as the map reads it: a relation with a feature key, ``geom`` (EPSG:32632) and attributes.

    The key is the relation's (``layers.relations``: ``id``, else ``ogc_fid``, ``fid`` or ``gid``); the
    map's features, tiles and tables call it ``id`` whatever its column's name."""

    slug: str
    title: str
    relation: str
    columns: tuple[str, ...]
    attributes: tuple[str, ...]
    labels: tuple[str, ...]
    data_version: int
    synthetic: bool
    # Visible to anonymous visitors; otherwise responses built from it are sent "private".
    public: bool = True
    schema: str = "public"
    name: str = ""
    key: str = "id"

    @property
    def table(self) -> db.Composable:
        """The relation, schema-qualified and quoted when composed."""
        return db.ident(self.schema, self.name) if self.name else db.relation(self.relation)

    @property
    def key_column(self) -> db.Identifier:
        return db.ident(self.key)

    @property
    def is_realizzazioni(self) -> bool:
        return "comuni_istat" in self.columns

    def where(self, flt: MapFilter, alias: str = "t") -> tuple[db.Composable, list]:
        """The selection as a WHERE fragment for this layer (territory for all, attributes for interventions)."""
        if self.is_realizzazioni:
            return flt.realizzazioni_sql(alias)
        if "istat_code" in self.columns:
            return flt.territory_sql(db.ident(alias, "istat_code"))
        return TRUE, []

    def select_list(self, alias: str = "t") -> db.Composable:
        """The attributes as ``t."name", …`` (empty when the layer shows none)."""
        return db.join(db.ident(alias, name) for name in self.attributes)


def _relation(layer: Layer) -> Relation:
    if layer.kind != Layer.Kind.VECTOR:
        raise UnknownLayerError(layer.slug)
    try:
        rel = relations.resolve(layer)
    except SourceError:
        raise UnknownLayerError(layer.slug) from None
    if rel.geom_column != GEOMETRY or rel.key is None:
        raise UnknownLayerError(layer.slug)
    return rel


def resolve(layer: Layer, lang: str = "it") -> LayerSource:
    """The LayerSource of a registry row; UnknownLayerError if its relation is missing, not vector, or
    has no ``geom`` column or feature key."""
    rel = _relation(layer)
    columns = tuple(rel.columns)
    declared = [a for a in (layer.attributes or []) if a.get("name") in rel.columns and a["name"] not in _SKIP]
    if declared:
        names = tuple(a["name"] for a in declared)
        labels = tuple(a.get(f"label_{lang}") or a.get("label_it") or a["name"] for a in declared)
    else:
        names = tuple(c for c in columns if c not in _SKIP)
        labels = names
    return LayerSource(
        layer.slug,
        layer.title(lang),
        layer.source,
        columns,
        names,
        labels,
        layer.data_version,
        layer.synthetic,
        public=layer.visibility == Layer.Visibility.PUBLIC,
        schema=rel.schema,
        name=rel.name,
        key=rel.key,
    )


def visible_source(user, slug: str, lang: str = "it") -> LayerSource:
    """The layer named ``slug`` if this user may see it; UnknownLayerError otherwise (never 403: no leak)."""
    layer = Layer.objects.visible_to(user).filter(slug=slug).first()
    if layer is None:
        raise UnknownLayerError(slug)
    return resolve(layer, lang)

"""The kinds of *Opportunità* (areas open to regeneration) and the relations that hold them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from remix import db

from .view_sql import thematic_view


@dataclass(frozen=True)
class OpportunityKind:
    """One kind of opportunity: a relation with id, istat_code, a display name column and geom (EPSG:32632)."""

    code: str
    label: str
    relation: str
    name_sql: db.Composable  # expression over alias ``o`` giving the feature's display name

    @property
    def table(self) -> db.Composable:
        """The relation, quoted when composed."""
        return db.relation(self.relation)


OPPORTUNITY_KINDS: tuple[OpportunityKind, ...] = (
    OpportunityKind(
        "ambiti_trasformazione",
        _("Ambiti di trasformazione"),
        "pgt_ambiti_trasformazione",
        db.SQL("coalesce(o.nome_amb, o.feature_key)"),
    ),
    OpportunityKind(
        "ambiti_rigenerazione",
        _("Ambiti di rigenerazione"),
        "pgt_ambiti_rigenerazione",
        db.SQL("coalesce(o.nome_amb, o.feature_key)"),
    ),
    OpportunityKind(
        "aree_dismesse", _("Aree dismesse"), "pgt_aree_dismesse", db.SQL("coalesce(o.dtipo, o.feature_key)")
    ),
    OpportunityKind(
        "remix_incubatore",
        _("Aree dell'incubatore Re.mix"),
        thematic_view("remix_incubatore"),
        db.SQL("coalesce(nullif(o.name, ''), o.feature_key)"),
    ),
)
OPPORTUNITY_BY_CODE = {kind.code: kind for kind in OPPORTUNITY_KINDS}

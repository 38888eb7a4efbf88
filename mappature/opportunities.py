"""The kinds of *Opportunità* (areas open to regeneration) and the relations that hold them."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .map_views import thematic_view


@dataclass(frozen=True)
class OpportunityKind:
    """One kind of opportunity: a relation with id, istat_code, a display name column and geom (EPSG:32632)."""

    code: str
    label: str
    relation: str
    name_sql: str  # expression over alias ``o`` giving the feature's display name


OPPORTUNITY_KINDS: tuple[OpportunityKind, ...] = (
    OpportunityKind(
        "ambiti_trasformazione",
        _("Ambiti di trasformazione"),
        "pgt_ambiti_trasformazione",
        "coalesce(o.nome_amb, o.feature_key)",
    ),
    OpportunityKind(
        "ambiti_rigenerazione",
        _("Ambiti di rigenerazione"),
        "pgt_ambiti_rigenerazione",
        "coalesce(o.nome_amb, o.feature_key)",
    ),
    OpportunityKind("aree_dismesse", _("Aree dismesse"), "pgt_aree_dismesse", "coalesce(o.dtipo, o.feature_key)"),
    OpportunityKind(
        "remix_incubatore",
        _("Aree dell'incubatore Re.mix"),
        thematic_view("remix_incubatore"),
        "coalesce(nullif(o.name, ''), o.feature_key)",
    ),
)
OPPORTUNITY_BY_CODE = {kind.code: kind for kind in OPPORTUNITY_KINDS}

"""The selection a planner makes (territory and intervention filters), parsed once, bound everywhere.

The map, the attribute table, the tiles and the summary all receive the same ``MapFilter`` and
turn it into SQL with bound parameters through ``territory_sql`` / ``realizzazioni_sql``, so the
three views can never disagree about what is selected.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from remix import db

from .errors import FilterError

_ISTAT = re.compile(r"^\d{6}$")
_SLUG = re.compile(r"^[a-z0-9-]{1,40}$")
_TEXT_MAX = 300

# The ISTAT codes of the comuni of one zona omogenea (its code bound).
_COMUNI_OF_ZONA = db.SQL(
    "SELECT c.istat_code FROM mappature_comune c JOIN mappature_zonaomogenea z ON z.id = c.zona_id WHERE z.code = %s"
)
TRUE = db.SQL("TRUE")
_TABLE = db.ident("mappature_realizzazione")


@dataclass(frozen=True)
class MapFilter:
    """What is selected: territory (applies to every layer) and intervention attributes."""

    zona: str | None = None
    comune: str | None = None
    programme: str | None = None
    funding_source: str | None = None
    status: str | None = None
    domain: str | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    year: int | None = None

    @property
    def is_empty(self) -> bool:
        return not any(v is not None for v in asdict(self).values())

    def as_query(self) -> dict[str, str]:
        """The filter as URL query parameters (for permalinks, paging links and tile URLs)."""
        return {k: str(v) for k, v in asdict(self).items() if v is not None}

    def cache_key(self) -> str:
        return "&".join(f"{k}={v}" for k, v in sorted(self.as_query().items()))

    def territory_sql(self, istat_column: db.Composable | str) -> tuple[db.Composable, list]:
        """WHERE fragment restricting one ISTAT-code column (``"t.istat_code"`` or ``db.ident("t", "istat_code")``)
        to the selected territory, with its bound values in order; ``TRUE`` and no values when none is selected."""
        if isinstance(istat_column, str):
            istat_column = db.ident(*istat_column.split("."))
        clauses, params = [], []
        if self.zona:
            clauses.append(db.SQL("{col} IN ({zona})").format(col=istat_column, zona=_COMUNI_OF_ZONA))
            params.append(self.zona)
        if self.comune:
            clauses.append(db.SQL("{col} = %s").format(col=istat_column))
            params.append(self.comune)
        return _and(clauses), params

    def realizzazioni_sql(self, alias: str = "r") -> tuple[db.Composable, list]:
        """WHERE fragment for interventions (table alias ``alias``): territory overlaps their comuni, then
        their attributes; with its bound values in order."""
        a = db.ident(alias)
        clauses, params = [], []
        if self.zona:
            clauses.append(db.SQL("{a}.comuni_istat && ARRAY({zona})::varchar[]").format(a=a, zona=_COMUNI_OF_ZONA))
            params.append(self.zona)
        if self.comune:
            clauses.append(db.SQL("%s = ANY({a}.comuni_istat)").format(a=a))
            params.append(self.comune)
        # Funding sources and domains are arrays in the table but text in the map view
        # (map_realizzazioni, also read by MapServer and the exports): test the table's arrays by id.
        for value, clause in (
            (self.programme, "{a}.programme = %s"),
            (self.funding_source, "{a}.id IN (SELECT a.id FROM {table} a WHERE %s = ANY(a.funding_sources))"),
            (self.status, "{a}.status = %s"),
            (self.domain, "{a}.id IN (SELECT a.id FROM {table} a WHERE %s = ANY(a.domains))"),
            (self.amount_min, "{a}.amount_eur >= %s"),
            (self.amount_max, "{a}.amount_eur <= %s"),
        ):
            if value is not None:
                clauses.append(db.SQL(clause).format(a=a, table=_TABLE))
                params.append(value)
        if self.year is not None:
            clauses.append(
                db.SQL(
                    "coalesce({a}.year_start, %s) <= %s AND coalesce({a}.year_end, {a}.year_start, %s) >= %s"
                ).format(a=a)
            )
            params += [self.year, self.year, self.year, self.year]
        return _and(clauses), params


def _and(clauses: list[db.Composable]) -> db.Composable:
    return db.SQL(" AND ").join(clauses) if clauses else TRUE


FILTER_PARAMS = tuple(MapFilter.__dataclass_fields__)


def parse_filter(query) -> MapFilter:
    """Build a MapFilter from request.GET (or a dict); FilterError (Italian message) if a value is bad."""

    def text(name: str) -> str | None:
        value = (query.get(name) or "").strip()
        if len(value) > _TEXT_MAX:
            raise FilterError(_("Il filtro «%(name)s» è troppo lungo.") % {"name": name})
        return value or None

    zona, comune = text("zona"), text("comune")
    if zona and not _SLUG.match(zona):
        raise FilterError(_("Zona omogenea non valida: %(value)s") % {"value": zona})
    if comune and not _ISTAT.match(comune):
        raise FilterError(
            _("Il comune va indicato con il codice ISTAT di 6 cifre, non «%(value)s».") % {"value": comune}
        )
    amount_min, amount_max = _decimal(text("amount_min"), "amount_min"), _decimal(text("amount_max"), "amount_max")
    if amount_min is not None and amount_max is not None and amount_min > amount_max:
        raise FilterError(_("L'importo minimo supera l'importo massimo."))
    return MapFilter(
        zona=zona,
        comune=comune,
        programme=text("programme"),
        funding_source=text("funding_source"),
        status=text("status"),
        domain=text("domain"),
        amount_min=amount_min,
        amount_max=amount_max,
        year=_year(text("year")),
    )


# An amount as people type it: "1.000.000" and "1.000.000,50" (Italian), "1000000.50", "1,000,000" (English).
_GROUPED = {".": re.compile(r"^\d{1,3}(\.\d{3})+(,\d+)?$"), ",": re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")}
_PLAIN = re.compile(r"^\d+([.,]\d+)?$")


def parse_amount(value: str) -> Decimal | None:
    """The number an amount string means, or None; thousands separators are told from decimal ones."""
    text = value.replace("€", "").replace("\u00a0", "").replace(" ", "").replace("'", "")
    for sep, pattern in _GROUPED.items():
        if pattern.match(text):
            decimal = "," if sep == "." else "."
            return Decimal(text.replace(sep, "").replace(decimal, "."))
    if _PLAIN.match(text):
        return Decimal(text.replace(",", "."))
    return None


def _decimal(value: str | None, name: str) -> Decimal | None:
    if value is None:
        return None
    try:
        number = parse_amount(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or number < 0:
        raise FilterError(_("«%(value)s» non è un importo valido (%(name)s).") % {"value": value, "name": name})
    return number


def _year(value: str | None) -> int | None:
    if value is None:
        return None
    if not value.isdigit() or not 1900 <= int(value) <= 2100:
        raise FilterError(_("«%(value)s» non è un anno valido.") % {"value": value})
    return int(value)

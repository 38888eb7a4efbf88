"""The scratch relations of a load and the one way rows leave the stage: :func:`reject`.

Shared by :mod:`etl.staging` and :mod:`etl.codelists` (which staging calls), so that neither
imports the other back. Every relation here lives in the load's session and transaction.
"""

from __future__ import annotations

from remix import db

from .declarations import Source

STAGE, REJECTS, RESOLVED, CHECKS = "etl_stage", "etl_rejects", "etl_resolved", "etl_checks"
CODES, VALUES, BADCODES, BADROWS = "etl_codes", "etl_codevalues", "etl_badcodes", "etl_badrows"


def key_array(source: Source) -> db.Composable:
    """The natural key of a staged row as a text array (NULL when any part is missing)."""
    parts = db.SQL(", ").join(db.SQL("{}::text").format(db.ident(k)) for k in source.natural_key)
    nulls = db.SQL(" OR ").join(db.SQL("coalesce({}::text, '') = ''").format(db.ident(k)) for k in source.natural_key)
    return db.SQL("CASE WHEN {} THEN NULL ELSE ARRAY[{}] END").format(nulls, parts)


def reject(cur, source: Source, where: db.Composable, reason: db.Composable, params=None) -> None:
    """Move the staged rows matching ``where`` to the rejects with ``reason`` (an SQL expression);
    ``params`` are the values of both, positional (``%s``) or named."""
    query = db.compose(
        "WITH gone AS (DELETE FROM {stage} WHERE {where} RETURNING *) "
        "INSERT INTO {rejects} SELECT _row, {key}, {reason} FROM gone",
        stage=STAGE,
        where=where,
        rejects=REJECTS,
        key=key_array(source),
        reason=reason,
    )
    db.execute(cur, query, params or None)

"""Compose SQL with ``psycopg.sql`` and run it through Django's connection.

A query is a ``psycopg.sql.Composable`` (or a constant ``str`` with no identifier in it). Identifiers
go in with :func:`ident` / :func:`relation` / :func:`compose`; values are always bound parameters,
positional (``%s``) or named (``%(name)s``) — prefer named ones when a query has more than a few.

    q = compose("SELECT count(*) FROM {table} t WHERE t.{key} = %(key)s", table=relation("public.x"), key="id")
    n = fetch_value(q, {"key": 42})
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import connections
from psycopg import sql
from psycopg.sql import SQL, Composable, Composed, Identifier, Literal, Placeholder

__all__ = [
    "SQL",
    "Composable",
    "Composed",
    "Identifier",
    "Literal",
    "Placeholder",
    "compose",
    "execute",
    "fetch_all",
    "fetch_dicts",
    "fetch_one",
    "fetch_value",
    "ident",
    "join",
    "literal",
    "relation",
    "render",
]

Params = Sequence[Any] | Mapping[str, Any] | None


def ident(*names: str) -> Identifier:
    """One identifier, quoted; several names make a qualified one (``ident("public", "t")``)."""
    return Identifier(*names)


def relation(name: str | tuple[str, ...] | Composable) -> Composable:
    """A table or view: ``"table"``, ``"schema.table"`` or ``("schema", "table")``, quoted part by part.

    Our relation names never contain a dot themselves, so a dot separates the schema.
    """
    if isinstance(name, Composable):
        return name
    if isinstance(name, tuple):
        return Identifier(*name)
    return Identifier(*name.split(".", 1))


def literal(value: Any) -> Literal:
    """A value inlined as a quoted literal: only where PostgreSQL takes no parameter (DDL, ``COPY … TO``)."""
    return Literal(value)


def join(parts: Iterable[Composable | str], separator: str = ", ") -> Composed:
    """``parts`` joined by ``separator``; plain strings are taken as identifiers."""
    return SQL(separator).join(Identifier(p) if isinstance(p, str) else p for p in parts)


def _part(value: Any) -> Composable:
    if isinstance(value, Composable):
        return value
    if isinstance(value, str):
        return Identifier(value)
    if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
        return Identifier(*value)
    if isinstance(value, list | tuple):
        return join(value)
    raise TypeError(f"compose() takes identifiers (str, tuple of str) or psycopg.sql objects, not {type(value)!r}")


def compose(template: str, **parts: Any) -> Composed:
    """``template`` with its ``{name}`` fields filled: ``str`` → identifier, ``("schema", "t")`` →
    qualified identifier, a list → identifiers joined by commas, ``psycopg.sql`` objects as they are.

    ``%s`` and ``%(name)s`` in the template stay placeholders for bound values.
    """
    return SQL(template).format(**{k: _part(v) for k, v in parts.items()})


def _raw(cursor_or_connection) -> Any:
    """The psycopg connection under a Django cursor/connection or a psycopg cursor."""
    obj = cursor_or_connection
    inner = getattr(obj, "cursor", None)  # Django's CursorWrapper
    if inner is not None and not callable(inner):
        obj = inner
    if hasattr(obj, "ensure_connection"):  # a Django DatabaseWrapper
        obj.ensure_connection()
        return obj.connection
    return getattr(obj, "connection", obj)


def render(query: Composable | str, where: Any = None, using: str = "default") -> str:
    """The query as text for ``where`` (a cursor or connection; the ``using`` connection by default)."""
    if isinstance(query, str):
        return query
    return query.as_string(_raw(where if where is not None else connections[using]))


def execute(cur, query: Composable | str, params: Params = None):
    """Run ``query`` on ``cur`` (a Django or psycopg cursor) with bound ``params``; returns the cursor."""
    cur.execute(render(query, cur), params)
    return cur


def fetch_all(query: Composable | str, params: Params = None, using: str = "default") -> list[tuple]:
    with connections[using].cursor() as cur:
        return execute(cur, query, params).fetchall()


def fetch_one(query: Composable | str, params: Params = None, using: str = "default") -> tuple | None:
    with connections[using].cursor() as cur:
        return execute(cur, query, params).fetchone()


def fetch_value(query: Composable | str, params: Params = None, using: str = "default") -> Any:
    row = fetch_one(query, params, using)
    return None if row is None else row[0]


def fetch_dicts(query: Composable | str, params: Params = None, using: str = "default") -> list[dict]:
    with connections[using].cursor() as cur:
        execute(cur, query, params)
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


# Re-exported so that callers need not import psycopg.sql themselves.
sql = sql

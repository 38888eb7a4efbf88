"""SQL helpers: identifiers composed with psycopg.sql, values always bound."""

from __future__ import annotations

from django.db import connection
from psycopg import sql


def compose(template: str, **identifiers) -> str:
    """``template`` with ``{name}`` placeholders replaced by quoted identifiers (str or (schema, name))."""
    connection.ensure_connection()
    parts = {k: sql.Identifier(*v) if isinstance(v, tuple) else sql.Identifier(v) for k, v in identifiers.items()}
    return sql.SQL(template).format(**parts).as_string(connection.connection)


def fetch(query: str, params=None) -> list[dict]:
    with connection.cursor() as cur:
        cur.execute(query, params or [])
        names = [c.name for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def column_exists(relation: str, column: str) -> bool:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(%s)"
            " AND attname = %s AND NOT attisdropped)",
            [relation, column],
        )
        return cur.fetchone()[0]


def relation_exists(name: str) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return cur.fetchone()[0]

"""Writing the resolved rows into the target: upsert in general, a bulk insert into an empty scope.

A first load (or a new comune's plan) has nothing to compare with: a plain INSERT is enough, and
when it brings more rows than the table holds, the secondary indexes (the GiST above all) are
dropped and built once at the end — building a GiST in bulk is several times faster than
growing it row by row — and its foreign keys are dropped and re-added, checked in one join.
All of it happens inside the load's transaction, so a failure restores them; the price is that
readers of the table (and of the tables its foreign keys point to) wait for the commit during
such a bulk load.
"""

from __future__ import annotations

from contextlib import contextmanager

from . import staging
from .sources import Source

# ruff: noqa: S608 - table and column names come from the models and the declaration.

# Below this many incoming rows (or fewer than the table holds), indexes and keys are kept as they are.
BULK_MIN_ROWS = 10_000


def write(cur, source: Source, target: staging.Target, staged: int) -> tuple[int, int, int]:
    """(inserted, updated, deleted) after writing the resolved rows into the target."""
    if _scope_is_empty(cur, source, target):
        with _indexes_rebuilt(cur, target.table, staged):
            return _insert_all(cur, target), 0, 0
    inserted, updated = staging.merge(cur, target)
    return inserted, updated, staging.delete_missing(cur, source, target)


def _scope_condition(source: Source, target: staging.Target) -> str:
    return (
        " AND ".join(
            f't."{target.column(s)}" IN (SELECT DISTINCT "{target.column(s)}" FROM {staging.RESOLVED})'
            for s in source.scope
        )
        or "TRUE"
    )


def _scope_is_empty(cur, source: Source, target: staging.Target) -> bool:
    cur.execute(f"SELECT NOT EXISTS (SELECT 1 FROM {target.table} t WHERE {_scope_condition(source, target)})")
    return cur.fetchone()[0]


def _insert_all(cur, target: staging.Target) -> int:
    cols = staging.target_columns(target)
    defaults = target.defaults()
    names = ", ".join([*(f'"{c}"' for c in cols), *(f'"{c}"' for c, _ in defaults)])
    values = ", ".join([*(f'"{c}"' for c in cols), *("%s" for _ in defaults)])
    # No ORDER BY on the key: sorting the wide rows (geometries) cost more than it saved the unique index.
    cur.execute(
        f"INSERT INTO {target.table} ({names}) SELECT {values} FROM {staging.RESOLVED}", [v for _, v in defaults]
    )
    return cur.rowcount


@contextmanager
def _indexes_rebuilt(cur, table: str, incoming: int):
    """Drop the secondary indexes and the keys for the insert and rebuild them, for a bulk insert.

    A foreign key checked row by row (a deferred trigger per inserted row) costs more than the
    insert itself; added back afterwards, PostgreSQL checks all the rows in one join, so the
    constraint is kept and still verified inside the transaction. A unique constraint (or
    primary key) grown entry by entry cost the insert more than building its index once by
    sorting (in parallel); re-adding it checks every row again, so it still holds when the
    transaction commits. Keys another table's foreign key depends on stay.
    """
    cur.execute("SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = %s::regclass", [table])
    existing = cur.fetchone()[0]
    if incoming < max(existing, BULK_MIN_ROWS):
        yield
        return
    cur.execute(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
        "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary AND NOT x.indisunique "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)",
        [table],
    )
    indexes = cur.fetchall()
    cur.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint c WHERE conrelid = %s::regclass "
        "AND (contype = 'f' OR contype IN ('p', 'u') AND NOT condeferrable AND NOT EXISTS ("
        "SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid)) "
        "ORDER BY contype DESC",  # keys back before the foreign keys
        [table],
    )
    constraints = cur.fetchall()
    # Pending deferred checks (e.g. of rows the hooks wrote) would forbid the ALTER TABLEs below.
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for name, _ in constraints:
        cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        cur.execute(f'DROP INDEX "{name}"')
    cur.execute("SET CONSTRAINTS ALL DEFERRED")
    yield
    cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cur.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _, ddl in indexes:
        cur.execute(ddl)
    for name, ddl in constraints:
        cur.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {ddl}')
    cur.execute("SET CONSTRAINTS ALL DEFERRED")

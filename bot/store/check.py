"""Drift between the schema the code uses (tables.metadata) and the one the revisions build."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Constraint, Index, MetaData, Table, inspect

from bot.store.engine import MIGRATION_OPTIONS, make_engine, migrate
from bot.store.tables import metadata


def schema_differences(conn: Connection, target: MetaData = metadata) -> list[str]:
    """What autogenerate would add to a new revision, plus primary keys that differ (empty: in step)."""
    context = MigrationContext.configure(conn, opts=MIGRATION_OPTIONS)
    found = [_describe(diff) for diff in compare_metadata(context, target)]
    # autogenerate does not compare primary keys, and a key is what a corpus revision changes
    inspector = inspect(conn)
    for table in target.sorted_tables:
        if not inspector.has_table(table.name):
            continue  # reported above as a table to add
        stored = inspector.get_pk_constraint(table.name)["constrained_columns"]
        wanted = [column.name for column in table.primary_key.columns]
        if stored != wanted:
            found.append(f"primary key of {table.name}: database ({', '.join(stored)}), "
                         f"tables.py ({', '.join(wanted)})")  # fmt: skip
    return found


def check_revisions(target: MetaData = metadata) -> list[str]:
    """Run every revision on an empty in-memory SQLite database and compare it with `target`."""
    engine = make_engine("sqlite://")  # one connection per thread: migrate and compare share it
    try:
        migrate(engine)
        with engine.connect() as conn:
            return schema_differences(conn, target)
    finally:
        engine.dispose()


def _describe(diff: Any) -> str:
    if isinstance(diff, list):  # modify_* entries come grouped per column
        return "; ".join(_describe(item) for item in diff)
    operation, *details = diff
    if operation.startswith("modify_"):
        _schema, table, column, _existing, stored, wanted = details
        return f"{operation} {table}.{column}: database {stored}, tables.py {wanted}"
    if operation in ("add_column", "remove_column"):
        _schema, table, column = details
        return f"{operation} {table}.{column.name}"
    return f"{operation} {_name(details[0])}"  # tables, indexes and constraints


def _name(item: Any) -> str:
    if isinstance(item, Table):
        return item.name
    if isinstance(item, Index | Constraint):
        columns = ", ".join(c.name for c in item.columns)
        return f"{item.name or type(item).__name__} on {item.table.name}({columns})"
    return str(item)

"""The SQL store: one engine, and the schema brought up to date by Alembic revisions at start-up."""

from bot.store.engine import SchemaError, make_engine, migrate

__all__ = ["SchemaError", "make_engine", "migrate"]

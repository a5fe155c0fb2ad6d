"""The SQL store: one engine, numbered migrations applied at start-up."""

from bot.store.engine import make_engine, migrate

__all__ = ["make_engine", "migrate"]

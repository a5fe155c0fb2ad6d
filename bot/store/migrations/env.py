"""Alembic's environment: runs the revisions on the connection that `bot.store.migrate` hands it."""

from alembic import context

from bot.store.engine import MIGRATION_OPTIONS
from bot.store.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Resolute's migrations run on a connection it passes in: "
        "use bot.store.migrate(engine) or `python -m bot.store`, not the alembic command"
    )
# target_metadata is what autogenerate compares the database with: the schema as the code uses it
context.configure(connection=connection, target_metadata=metadata, **MIGRATION_OPTIONS)
with context.begin_transaction():  # inside migrate()'s transaction: nothing is committed half-way
    context.run_migrations()

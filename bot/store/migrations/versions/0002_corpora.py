"""Corpora: every document, chunk and index setting belongs to one; what exists becomes "public".

Revision ID: 0002
Revises: 0001
Create Date: 2025-11-23
"""

import sqlalchemy as sa
from alembic import op

# A revision freezes the tables as they are at its step and never imports bot.store.tables: the
# models keep changing, a released revision must not.

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PUBLIC = "public"


def _corpus_column() -> sa.Column:
    # the server default fills the rows already stored, and stays for writers that omit the corpus
    return sa.Column("corpus", sa.String(40), nullable=False, server_default=PUBLIC)


def _add_corpus_to_key(table: str, key: str) -> None:
    """Add the corpus column in front of the table's primary key."""
    with _batch(table) as batch:
        batch.add_column(_corpus_column())
        batch.drop_constraint(f"{table}_pkey", type_="primary")
        batch.create_primary_key(f"{table}_pkey", ["corpus", key])


def _batch(table: str):
    # PostgreSQL names a primary key <table>_pkey; SQLite's are unnamed, so the batch names the one
    # it reflects the same way, and one drop_constraint serves both
    return op.batch_alter_table(table, naming_convention={"pk": "%(table_name)s_pkey"})


def upgrade() -> None:
    _add_corpus_to_key("documents", "source")
    _add_corpus_to_key("index_meta", "key")
    with op.batch_alter_table("chunks") as batch:
        batch.add_column(_corpus_column())
        batch.drop_index("ix_chunks_source")
        batch.create_index("ix_chunks_corpus_source", ["corpus", "source"])


def downgrade() -> None:
    bind = op.get_bind()
    for table in ("documents", "chunks", "index_meta"):
        private = bind.execute(sa.text(f"SELECT count(*) FROM {table} WHERE corpus <> :p"), {"p": PUBLIC})
        if private.scalar():
            raise RuntimeError(
                f"{table} holds rows of private corpora, which the older schema cannot keep; "
                "delete them first if they may be lost"
            )
    with op.batch_alter_table("chunks") as batch:
        batch.drop_index("ix_chunks_corpus_source")
        batch.drop_column("corpus")
        batch.create_index("ix_chunks_source", ["source"])
    for table, key in (("documents", "source"), ("index_meta", "key")):
        with _batch(table) as batch:
            batch.drop_constraint(f"{table}_pkey", type_="primary")
            batch.create_primary_key(f"{table}_pkey", [key])
            batch.drop_column("corpus")

"""A private corpus's vectors live in SQL beside its chunks, so nothing of a private item reaches Chroma.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-09
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # empty: the first use of a private corpus drops its Chroma collection and embeds it again from SQL
    op.create_table(
        "private_vectors",
        sa.Column("corpus", sa.String(40), primary_key=True),
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("source", sa.String(1000), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_private_vectors_corpus_source", "private_vectors", ["corpus", "source"])


def downgrade() -> None:
    op.drop_index("ix_private_vectors_corpus_source", table_name="private_vectors")
    op.drop_table("private_vectors")

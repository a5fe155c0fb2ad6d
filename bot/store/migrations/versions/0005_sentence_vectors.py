"""Sentence vectors stored with each chunk, so answers choose sentences by meaning.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # chunks committed before this revision have none: the next ingest embeds their sentences
    with op.batch_alter_table("chunks") as batch:
        batch.add_column(sa.Column("sentence_vectors", sa.LargeBinary))


def downgrade() -> None:
    with op.batch_alter_table("chunks") as batch:
        batch.drop_column("sentence_vectors")

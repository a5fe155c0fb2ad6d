"""A question's claim says whether it was answered, so a claim whose answerer died can be taken over.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # claims made before this revision are of questions already answered (or given up on): "posted"
    with op.batch_alter_table("slack_claims") as batch:
        batch.add_column(sa.Column("status", sa.String(20), nullable=False, server_default="posted"))
        batch.add_column(sa.Column("posted_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("slack_claims") as batch:
        batch.drop_column("posted_at")
        batch.drop_column("status")

"""A question the documents did not answer, handed to the person the district file names for it.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "slack_handoffs",
        sa.Column("answer_id", sa.String(32), primary_key=True),  # one hand-over per answer
        sa.Column("owner", sa.String(40), nullable=False),
        sa.Column("asked_by", sa.String(40), nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),  # the asker's thread
        sa.Column("thread_ts", sa.String(40), nullable=False),
        sa.Column("owner_channel", sa.String(40)),  # the message to the owner, once posted
        sa.Column("owner_ts", sa.String(40)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Index("ix_slack_handoffs_owner_thread", "owner_channel", "owner_ts"),
    )


def downgrade() -> None:
    op.drop_table("slack_handoffs")

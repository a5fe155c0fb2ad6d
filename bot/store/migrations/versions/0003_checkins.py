"""Check-ins: people, weekly answers and items, support requests, and the messages sent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "checkin_people",
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("tz", sa.String(64)),
        _when("tz_checked_at"),
        sa.Column("away_until", sa.Date),
    )
    op.create_table(
        "checkin_responses",
        sa.Column("week", sa.String(10), primary_key=True),
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        _when("updated_at", nullable=False),
    )
    op.create_table(
        "checkin_items",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("field", sa.String(10), nullable=False),
        sa.Column("filed", sa.String(40)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("priority", sa.String(40)),
        sa.Column("score", sa.Float, nullable=False),
        _when("created_at", nullable=False),
    )
    op.create_index("ix_checkin_items_week", "checkin_items", ["week", "user_id"])
    op.create_table(
        "checkin_support",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("week", sa.String(10), nullable=False),
        sa.Column("from_user", sa.String(40), nullable=False),
        sa.Column("to_user", sa.String(40), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        _when("created_at", nullable=False),
        _when("taken_at"),
        _when("done_at"),
    )
    op.create_index("ix_checkin_support_status", "checkin_support", ["status"])
    op.create_table(
        "checkin_sends",
        sa.Column("week", sa.String(10), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("recipient", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        _when("claimed_at", nullable=False),
        _when("posted_at"),
        sa.Column("message_ts", sa.String(40)),
    )


def downgrade() -> None:
    for table in ("checkin_sends", "checkin_support", "checkin_items", "checkin_responses", "checkin_people"):
        op.drop_table(table)

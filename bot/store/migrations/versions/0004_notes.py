"""Intervention notes, their audit, and their follow-up reminders.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("school_id", sa.String(50)),
        sa.Column("student", sa.String(100)),
        sa.Column("student_key", sa.String(100)),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("tier", sa.Integer),
        sa.Column("priority", sa.String(40)),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("follow_up", sa.Date),
        sa.Column("author", sa.String(40), nullable=False),
        _when("created_at", nullable=False),
        _when("updated_at"),
        sa.Column("updated_by", sa.String(40)),
    )
    op.create_index("ix_notes_created", "notes", ["created_at", "id"])
    op.create_index("ix_notes_school_created", "notes", ["school_id", "created_at"])
    op.create_index("ix_notes_student_key", "notes", ["student_key"])
    op.create_index("ix_notes_follow_up", "notes", ["follow_up"])
    op.create_table(
        "note_audit",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _when("at", nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("note_id", sa.Integer),
        sa.Column("details", sa.Text, nullable=False),
    )
    op.create_index("ix_note_audit_at", "note_audit", ["at"])
    op.create_table(
        "note_followups",
        sa.Column("note_id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        _when("claimed_at", nullable=False),
        _when("posted_at"),
    )


def downgrade() -> None:
    op.drop_table("note_followups")
    op.drop_index("ix_note_audit_at", table_name="note_audit")
    op.drop_table("note_audit")
    for name in ("ix_notes_follow_up", "ix_notes_student_key", "ix_notes_school_created", "ix_notes_created"):
        op.drop_index(name, table_name="notes")
    op.drop_table("notes")

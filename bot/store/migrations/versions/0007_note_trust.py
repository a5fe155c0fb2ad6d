"""Ids that are never reused, what a deleted note leaves behind, and the copies of notes in Slack.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# tables whose ids Slack buttons carry: on SQLite they take AUTOINCREMENT, so a deleted newest row's
# id is never handed out again (PostgreSQL's sequences already never reuse one)
_MONOTONIC = {"notes": ("note_audit", "note_id"), "checkin_items": None, "checkin_support": None}


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _never_reuse() -> None:
    """Rebuild each table with AUTOINCREMENT (every row kept, ids unchanged) and start its sequence
    after every id it has ever handed out: for notes, also the ids the audit remembers of deleted ones."""
    conn = op.get_bind()
    for table, remembered in _MONOTONIC.items():
        with op.batch_alter_table(table, recreate="always", table_kwargs={"sqlite_autoincrement": True}):
            pass
        highest = conn.execute(sa.text(f"SELECT MAX(id) FROM {table}")).scalar() or 0
        if remembered:
            other, column = remembered
            highest = max(highest, conn.execute(sa.text(f"SELECT MAX({column}) FROM {other}")).scalar() or 0)
        conn.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
        conn.execute(
            sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"), {"t": table, "n": highest}
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _never_reuse()
    op.create_table(
        "note_tombstones",
        sa.Column("hash", sa.String(64), primary_key=True),
        _when("deleted_at", nullable=False),
    )
    op.create_table(
        "note_copies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("note_id", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(40), nullable=False),
        sa.Column("ts", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        _when("created_at", nullable=False),
    )
    op.create_index("ix_note_copies_note", "note_copies", ["note_id"])
    op.create_index("ix_note_copies_message", "note_copies", ["channel", "ts"])
    op.create_table(
        "note_exports",
        sa.Column("file_id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.String(40), nullable=False),
        _when("uploaded_at", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("note_exports")
    op.drop_index("ix_note_copies_message", table_name="note_copies")
    op.drop_index("ix_note_copies_note", table_name="note_copies")
    op.drop_table("note_copies")
    op.drop_table("note_tombstones")

"""Which notes each audit row is about (a student's record of access), moves between tiers, a school's
Ed-Fi id.

The rows already in the audit are linked to the notes they name: their note_id, or the ids a listing, an
export or an import kept in its details.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("schools", sa.Column("edfi_id", sa.BigInteger()))
    op.add_column("notes", sa.Column("tier_from", sa.Integer()))
    access = op.create_table(
        "note_access",
        sa.Column("audit_id", sa.Integer, sa.ForeignKey("note_audit.id"), primary_key=True),
        sa.Column("note_id", sa.Integer, primary_key=True),
        sa.Index("ix_note_access_note", "note_id"),
    )
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, note_id, details FROM note_audit")).all()
    links = []
    for audit_id, note_id, details in rows:
        ids = set(_ids(details)) | ({note_id} if note_id is not None else set())
        links += [{"audit_id": audit_id, "note_id": i} for i in sorted(ids)]
    for start in range(0, len(links), 1000):
        op.bulk_insert(access, links[start : start + 1000])


def _ids(details: str) -> list[int]:
    """The note ids a row's details name: `"ids": [1, 2]` as the audit writes it (json.dumps, sorted keys).
    Read by hand: a revision imports nothing but SQLAlchemy and Alembic, so its shapes stay frozen."""
    _, found, rest = details.partition('"ids": [')
    listed = rest.partition("]")[0] if found else ""
    return [int(i) for i in listed.split(",") if i.strip().isdigit()]


def downgrade() -> None:
    op.drop_table("note_access")
    with op.batch_alter_table("notes", table_kwargs={"sqlite_autoincrement": True}) as batch:
        batch.drop_column("tier_from")
    op.drop_column("schools", "edfi_id")

"""A support request handed on names the request it came from, so the requester hears who has it now.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # ADD COLUMN only: SQLite keeps the table (and its AUTOINCREMENT from 0007) as it is
    with op.batch_alter_table("checkin_support") as batch:
        batch.add_column(sa.Column("handed_from", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("checkin_support") as batch:
        batch.drop_column("handed_from")

"""Each school's principal (optional), so a question naming a principal finds the school.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # schools loaded before this revision have none until the district data is loaded again
    with op.batch_alter_table("schools") as batch:
        batch.add_column(sa.Column("principal", sa.String(300)))


def downgrade() -> None:
    with op.batch_alter_table("schools") as batch:
        batch.drop_column("principal")

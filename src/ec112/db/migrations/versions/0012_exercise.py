"""exercise flag on tickets: a drill's calls are flagged end to end (issue 14)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("exercise", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_index("ix_tickets_exercise", ["exercise"])


def downgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_exercise")
        batch.drop_column("exercise")

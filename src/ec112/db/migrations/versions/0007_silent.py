"""silent calls: what the caller answered to the silent-call prompt (issue 13)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "silent_calls",
        sa.Column("ticket_id", sa.Integer(),
                  sa.ForeignKey("tickets.id", ondelete="CASCADE", name="fk_silent_calls_ticket_id_tickets"),
                  nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("prompted_at", tz, nullable=False),
        sa.Column("prompted_by", sa.String(40), nullable=False),
        sa.Column("deadline", tz, nullable=False),
        sa.Column("settled_at", tz),
        sa.Column("digits", sa.String(16), nullable=False, server_default=""),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("ticket_id", name="pk_silent_calls"),
    )
    op.create_index("ix_silent_calls_state", "silent_calls", ["state"])


def downgrade() -> None:
    op.drop_index("ix_silent_calls_state", table_name="silent_calls")
    op.drop_table("silent_calls")

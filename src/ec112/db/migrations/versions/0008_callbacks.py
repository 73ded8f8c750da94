"""callback tasks for calls that ended before or while being handled (issue 13)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "callback_tasks",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE",
                                                           name="fk_callback_tasks_ticket_id_tickets"),
                  nullable=False),
        sa.Column("number", sa.String(24), nullable=False),
        sa.Column("reason", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("deadline", tz, nullable=False),
        sa.Column("taken_by", sa.String(40)),
        sa.Column("taken_at", tz),
        sa.Column("calling_at", tz),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("outcome", sa.String(16)),
        sa.Column("outcome_by", sa.String(40)),
        sa.Column("done_at", tz),
        sa.Column("escalated_at", tz),
        sa.Column("closed_at", tz),
        sa.Column("linked_ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="SET NULL",
                                                                  name="fk_callback_tasks_linked_ticket_id_tickets")),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="0"),
        sa.UniqueConstraint("ticket_id", name="uq_callback_tasks_ticket_id"),
    )
    op.create_index("ix_callback_tasks_status", "callback_tasks", ["status"])
    op.create_index("ix_callback_tasks_number", "callback_tasks", ["number"])


def downgrade() -> None:
    op.drop_index("ix_callback_tasks_number", table_name="callback_tasks")
    op.drop_index("ix_callback_tasks_status", table_name="callback_tasks")
    op.drop_table("callback_tasks")

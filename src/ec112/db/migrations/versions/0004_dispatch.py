"""dispatch: dispatches (one agency's part of a ticket) and webhook_deliveries (the delivery log)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "dispatches",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE",
                                                           name="fk_dispatches_ticket_id_tickets"), nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dispatched_at", tz, nullable=False),
        sa.Column("dispatched_by", sa.String(40), nullable=False),
        sa.Column("ack_deadline", tz, nullable=False),
        sa.Column("acknowledged_at", tz),
        sa.Column("acknowledged_by", sa.String(40)),
        sa.Column("responder", sa.String(40)),
        sa.Column("responding_at", tz),
        sa.Column("processing_at", tz),
        sa.Column("resolved_at", tz),
        sa.Column("resolution_note", sa.Text()),
        sa.Column("cancelled_at", tz),
        sa.Column("escalation", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_dispatches"),
    )
    for column in ("ticket_id", "agency", "status", "responder"):
        op.create_index(f"ix_dispatches_{column}", "dispatches", [column])
    op.create_table(
        "webhook_deliveries",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_status_code", sa.Integer()),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("next_attempt_at", tz),
        sa.Column("delivered_at", tz),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_deliveries"),
    )
    op.create_index("ix_webhook_deliveries_agency", "webhook_deliveries", ["agency"])
    op.create_index("ix_webhook_deliveries_status", "webhook_deliveries", ["status"])


def downgrade() -> None:
    op.drop_table("webhook_deliveries")
    op.drop_table("dispatches")

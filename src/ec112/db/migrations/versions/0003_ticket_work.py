"""ticket work: classification, address, description, revision; ticket_events (who did what, when)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("classification", sa.String(16)))
        batch.add_column(sa.Column("category", sa.String(40)))
        batch.add_column(sa.Column("address", sa.Text()))
        batch.add_column(sa.Column("description", sa.Text()))
        batch.add_column(sa.Column("classified_by", sa.String(40)))
        batch.add_column(sa.Column("classified_at", tz))
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index("ix_tickets_caller_number_e164", ["caller_number_e164"])
        batch.create_index("ix_tickets_status", ["status"])
    op.create_table(
        "ticket_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE",
                                                           name="fk_ticket_events_ticket_id_tickets"),
                  nullable=False),
        sa.Column("at", tz, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(40), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_events"),
    )
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_ticket_events_ticket_id", table_name="ticket_events")
    op.drop_table("ticket_events")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index("ix_tickets_status")
        batch.drop_index("ix_tickets_caller_number_e164")
        for column in ("revision", "classified_at", "classified_by", "description", "address", "category",
                       "classification"):
            batch.drop_column(column)

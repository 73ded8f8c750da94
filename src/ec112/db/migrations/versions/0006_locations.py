"""locations: every location of a ticket, what could not be placed, and the AML messages received (issue 12)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ticket_fk(table: str, ondelete: str, *, nullable: bool) -> sa.Column[int]:
    return sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete=ondelete,
                                                              name=f"fk_{table}_ticket_id_tickets"),
                     nullable=nullable)


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "ticket_locations",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _ticket_fk("ticket_locations", "CASCADE", nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float()),
        sa.Column("method", sa.String(32)),
        sa.Column("confidence", sa.Integer()),
        sa.Column("shape", sa.String(16)),
        sa.Column("label", sa.String(200)),
        sa.Column("observed_at", tz, nullable=False),
        sa.Column("received_at", tz, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_locations"),
    )
    op.create_index("ix_ticket_locations_ticket_id", "ticket_locations", ["ticket_id"])
    op.create_table(
        "ticket_unlocated",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        _ticket_fk("ticket_unlocated", "CASCADE", nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("reason", sa.String(40)),
        sa.Column("received_at", tz, nullable=False),
        sa.Column("updated_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ticket_unlocated"),
    )
    op.create_index("ix_ticket_unlocated_ticket_id", "ticket_unlocated", ["ticket_id"])
    op.create_table(
        "aml_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("received_at", tz, nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("caller_number_e164", sa.String(20)),
        sa.Column("caller_number_raw", sa.String(64)),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("radius_m", sa.Float()),
        sa.Column("method", sa.String(32)),
        sa.Column("confidence", sa.Integer()),
        sa.Column("observed_at", tz, nullable=False),
        _ticket_fk("aml_messages", "SET NULL", nullable=True),
        sa.Column("matched_at", tz),
        sa.Column("notes", sa.String(400)),
        sa.PrimaryKeyConstraint("id", name="pk_aml_messages"),
    )
    # Matching: the AML of one number within a window; the unmatched list: ticket_id IS NULL, newest first.
    op.create_index("ix_aml_messages_caller_received", "aml_messages", ["caller_number_e164", "received_at"])
    op.create_index("ix_aml_messages_unmatched", "aml_messages", ["ticket_id", "received_at"])


def downgrade() -> None:
    op.drop_index("ix_aml_messages_unmatched", table_name="aml_messages")
    op.drop_index("ix_aml_messages_caller_received", table_name="aml_messages")
    op.drop_table("aml_messages")
    op.drop_index("ix_ticket_unlocated_ticket_id", table_name="ticket_unlocated")
    op.drop_table("ticket_unlocated")
    op.drop_index("ix_ticket_locations_ticket_id", table_name="ticket_locations")
    op.drop_table("ticket_locations")

"""tickets

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "tickets",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("linkedid", sa.String(64), nullable=False),
        sa.Column("uniqueid", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(128), nullable=False),
        sa.Column("caller_number_raw", sa.String(64)),
        sa.Column("caller_number_e164", sa.String(20)),
        sa.Column("caller_name", sa.String(128)),
        sa.Column("loc_lat", sa.Float()),
        sa.Column("loc_lon", sa.Float()),
        sa.Column("loc_radius_m", sa.Float()),
        sa.Column("loc_source", sa.String(16)),
        sa.Column("loc_method", sa.String(32)),
        sa.Column("loc_observed_at", tz),
        sa.Column("intake", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("arrived_at", tz, nullable=False),
        sa.Column("queued_at", tz),
        sa.Column("answered_at", tz),
        sa.Column("answered_by", sa.String(64)),
        sa.Column("ended_at", tz),
        sa.Column("outcome", sa.String(24)),
        sa.PrimaryKeyConstraint("id", name="pk_tickets"),
        sa.UniqueConstraint("linkedid", name="uq_tickets_linkedid"),
    )
    op.create_index("ix_tickets_arrived_at", "tickets", ["arrived_at"])
    op.create_index("ix_tickets_ended_at", "tickets", ["ended_at"])


def downgrade() -> None:
    op.drop_index("ix_tickets_ended_at", table_name="tickets")
    op.drop_index("ix_tickets_arrived_at", table_name="tickets")
    op.drop_table("tickets")

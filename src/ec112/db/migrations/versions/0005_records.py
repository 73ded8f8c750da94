"""records: record_offsets and recorded_calls (the backfill from Asterisk's CDR and queue_log)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "record_offsets",
        sa.Column("name", sa.String(16), nullable=False),
        sa.Column("identity", sa.String(96), nullable=False),
        sa.Column("byte_offset", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", tz, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_record_offsets"),
    )
    op.create_table(
        "recorded_calls",
        sa.Column("linkedid", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(128)),
        sa.Column("caller_number", sa.String(64)),
        sa.Column("caller_name", sa.String(128)),
        sa.Column("arrived_at", tz),
        sa.Column("ended_at", tz),
        sa.Column("queued_at", tz),
        sa.Column("answered_at", tz),
        sa.Column("answered_by", sa.String(64)),
        sa.Column("updated_at", tz, nullable=False),
        sa.Column("settled_at", tz),
        sa.PrimaryKeyConstraint("linkedid", name="pk_recorded_calls"),
    )
    op.create_index("ix_recorded_calls_settled_at", "recorded_calls", ["settled_at"])
    op.create_index("ix_recorded_calls_updated_at", "recorded_calls", ["updated_at"])


def downgrade() -> None:
    op.drop_index("ix_recorded_calls_updated_at", table_name="recorded_calls")
    op.drop_index("ix_recorded_calls_settled_at", table_name="recorded_calls")
    op.drop_table("recorded_calls")
    op.drop_table("record_offsets")

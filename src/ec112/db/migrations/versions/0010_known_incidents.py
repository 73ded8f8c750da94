"""known incidents announced to callers (mass-incident mode) (issue 13)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "known_incidents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("text_id", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text()),
        sa.Column("area_kind", sa.String(16), nullable=False),
        sa.Column("area_code", sa.String(32)),
        sa.Column("area_name", sa.String(200)),
        sa.Column("lat", sa.Float()),
        sa.Column("lon", sa.Float()),
        sa.Column("radius_m", sa.Float()),
        sa.Column("posted_at", tz, nullable=False),
        sa.Column("posted_by", sa.String(40), nullable=False),
        sa.Column("ends_at", tz, nullable=False),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="SET NULL",
                                                           name="fk_known_incidents_ticket_id_tickets")),
        sa.Column("ended_at", tz),
        sa.Column("ended_by", sa.String(40)),
        sa.Column("calls", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("heard", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name="pk_known_incidents"),
    )
    op.create_index("ix_known_incidents_ends_at", "known_incidents", ["ends_at"])


def downgrade() -> None:
    op.drop_table("known_incidents")

"""text to 112: SIP MESSAGE conversations on tickets (issue 13)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "text_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.Integer(), sa.ForeignKey("tickets.id", ondelete="CASCADE",
                                                          name="fk_text_messages_ticket_id_tickets"),
                  nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("direction", sa.String(4), nullable=False),
        sa.Column("at", tz, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("source", sa.String(80)),
        sa.Column("error", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name="pk_text_messages"),
        sa.UniqueConstraint("key", name="uq_text_messages_key"),
    )
    op.create_index("ix_text_messages_ticket_id", "text_messages", ["ticket_id"])


def downgrade() -> None:
    op.drop_index("ix_text_messages_ticket_id", table_name="text_messages")
    op.drop_table("text_messages")

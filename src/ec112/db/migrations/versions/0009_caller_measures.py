"""junk-call measures on a caller number or IMEI, always expiring (issue 13)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "caller_measures",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("subject_kind", sa.String(8), nullable=False),
        sa.Column("subject", sa.String(20), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(300), nullable=False),
        sa.Column("set_by", sa.String(40), nullable=False),
        sa.Column("set_at", tz, nullable=False),
        sa.Column("until", tz, nullable=False),
        sa.Column("lifted_at", tz),
        sa.Column("lifted_by", sa.String(40)),
        sa.Column("lift_reason", sa.String(300)),
        sa.PrimaryKeyConstraint("id", name="pk_caller_measures"),
    )
    op.create_index("ix_caller_measures_subject", "caller_measures", ["subject"])
    op.create_index("ix_caller_measures_until", "caller_measures", ["until"])
    # The handset of an AML message: a measure / score per IMEI follows the numbers it was seen with.
    with op.batch_alter_table("aml_messages") as batch:
        batch.add_column(sa.Column("device_imei", sa.String(16)))
        batch.create_index("ix_aml_messages_device_imei", ["device_imei"])


def downgrade() -> None:
    with op.batch_alter_table("aml_messages") as batch:
        batch.drop_index("ix_aml_messages_device_imei")
        batch.drop_column("device_imei")
    op.drop_index("ix_caller_measures_until", table_name="caller_measures")
    op.drop_index("ix_caller_measures_subject", table_name="caller_measures")
    op.drop_table("caller_measures")

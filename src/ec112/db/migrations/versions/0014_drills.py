"""drills: runs and their placed calls for the drill report; the exercise mark on recorded calls (issue 14)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The CDR's accountcode (the backfill opens an exercise ticket for a drill call ec112 missed live).
    with op.batch_alter_table("recorded_calls") as batch:
        batch.add_column(sa.Column("exercise", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "drill_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("scenario", sa.Text(), nullable=False),
        sa.Column("started_by", sa.String(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_drill_runs"),
    )
    op.create_table(
        "drill_calls",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("placed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_drill_calls"),
        sa.ForeignKeyConstraint(["run_id"], ["drill_runs.id"], ondelete="CASCADE",
                                name="fk_drill_calls_run_id_drill_runs"),
    )
    op.create_index("ix_drill_calls_run_id", "drill_calls", ["run_id"])


def downgrade() -> None:
    op.drop_index("ix_drill_calls_run_id", table_name="drill_calls")
    op.drop_table("drill_calls")
    op.drop_table("drill_runs")
    with op.batch_alter_table("recorded_calls") as batch:
        batch.drop_column("exercise")

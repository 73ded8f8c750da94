"""the audit log's MAC column (issue 15 part D)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ADD COLUMN (never batch mode, which would copy the table and lose the append-only triggers): the rows
# already there keep NULL, "written before MACs", which `ec112 audit verify` reports instead of trusting.
def upgrade() -> None:
    op.add_column("audit_log", sa.Column("mac", sa.String(64)))
    op.add_column("audit_log", sa.Column("key_id", sa.String(40)))


def downgrade() -> None:
    # DROP COLUMN on SQLite rebuilds nothing since 3.35; the triggers do not name these columns.
    op.drop_column("audit_log", "key_id")
    op.drop_column("audit_log", "mac")

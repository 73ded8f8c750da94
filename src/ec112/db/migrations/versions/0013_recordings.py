"""recordings of 112 calls: one row per recorded call, its file, hash and state (issue 14)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled by the part that owns it (docs/room.md)


def downgrade() -> None:
    pass

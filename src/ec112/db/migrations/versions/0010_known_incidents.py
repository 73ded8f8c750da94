"""known incidents announced to callers (mass-incident mode) (issue 13)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled in by this feature's work (the chain of revisions is fixed first, so branches merge cleanly)


def downgrade() -> None:
    pass

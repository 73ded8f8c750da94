"""callback tasks for calls that ended before or while being handled (issue 13)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled in by this feature's work (the chain of revisions is fixed first, so branches merge cleanly)


def downgrade() -> None:
    pass

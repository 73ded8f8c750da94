"""silent calls: what the caller answered to the silent-call prompt (issue 13)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled in by this feature's work (the chain of revisions is fixed first, so branches merge cleanly)


def downgrade() -> None:
    pass

"""alternate-contact deliveries (issue 15 part E), if the part needs a column; else it stays empty

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled by the part that owns it (docs/production.md)


def downgrade() -> None:
    pass

"""listen/whisper/barge sessions (issue 14), if the part needs a table; else it stays empty

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from collections.abc import Sequence

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass  # filled by the part that owns it (docs/room.md)


def downgrade() -> None:
    pass

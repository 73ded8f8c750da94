"""alternate-contact deliveries (issue 15 part E): which channel of an agency a webhook delivery went to

``agency`` (its own webhook, every row before this), ``alternate`` (the alternate contact's webhook) or ``sms``
(the alternate contact's SMS gateway): the secret used to sign it and what the delivery log shows.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.add_column(sa.Column("channel", sa.String(12), nullable=False, server_default="agency"))


def downgrade() -> None:
    with op.batch_alter_table("webhook_deliveries") as batch:
        batch.drop_column("channel")

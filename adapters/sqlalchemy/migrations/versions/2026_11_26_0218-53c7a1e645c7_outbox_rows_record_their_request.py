"""outbox rows record their request: the id of the HTTP request that queued the email

Rows written before this revision have none; the relay logs "-" for them.

Revision ID: 53c7a1e645c7
Revises: 2fa88e2c48b9
Create Date: 2026-11-26 02:18:31
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "53c7a1e645c7"
down_revision: str | Sequence[str] | None = "2fa88e2c48b9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as table:
        table.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as table:
        table.drop_column("request_id")

"""outbox rows record their trace: the W3C traceparent of the trace that queued the email

With telemetry on, the relay's send links to it. Rows written before this revision, or with
telemetry off, have none: their sends start unlinked.

Revision ID: b7d40e9c1a52
Revises: 53c7a1e645c7
Create Date: 2026-11-26 03:05:12
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7d40e9c1a52"
down_revision: str | Sequence[str] | None = "53c7a1e645c7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as table:
        table.add_column(sa.Column("traceparent", sa.String(length=55), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as table:
        table.drop_column("traceparent")

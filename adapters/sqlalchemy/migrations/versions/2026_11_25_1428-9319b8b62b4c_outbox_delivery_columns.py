"""outbox delivery columns: the welcome notification becomes the row the relay delivers

Rows written before this revision were sent at commit time, so they are marked sent.

Revision ID: 9319b8b62b4c
Revises: 3fe5ceba2d35
Create Date: 2026-11-25 14:28:00
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "9319b8b62b4c"
down_revision: str | Sequence[str] | None = "3fe5ceba2d35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Only to fill the rows that exist already; new rows always get their values from the app.
BACKFILL: dict[str, sa.TextClause | sa.ColumnElement[Any]] = {
    "payload": sa.text("'{}'"),
    "status": sa.text("'sent'"),
    "attempts": sa.text("1"),
    "next_attempt_at": sa.func.current_timestamp(),
}


def upgrade() -> None:
    with op.batch_alter_table("notifications") as table:
        for name, type_ in (
            ("payload", sa.JSON()),
            ("status", sa.String(length=10)),
            ("attempts", sa.Integer()),
            ("next_attempt_at", sa.DateTime(timezone=True)),
        ):
            table.add_column(
                sa.Column(name, type_, nullable=False, server_default=BACKFILL[name])
            )
        table.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        table.create_index("ix_notifications_due", ["status", "next_attempt_at"])
    with op.batch_alter_table("notifications") as table:
        for column in BACKFILL:
            table.alter_column(column, server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("notifications") as table:
        table.drop_index("ix_notifications_due")
        for column in ("last_error", "claimed_until", *reversed(BACKFILL)):
            table.drop_column(column)

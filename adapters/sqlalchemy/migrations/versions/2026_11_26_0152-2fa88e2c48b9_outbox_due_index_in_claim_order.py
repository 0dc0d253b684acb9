"""outbox due index in claim order: a relay's claim reads one batch of the index

The index ends with id, as the claim's ORDER BY does, so rows due at the same time are no
longer all read and sorted to claim a batch of them.

Revision ID: 2fa88e2c48b9
Revises: eabc94485626
Create Date: 2026-11-26 01:52:35
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "2fa88e2c48b9"
down_revision: str | Sequence[str] | None = "eabc94485626"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at"])

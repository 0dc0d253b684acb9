"""account seats and invitations: an account holds a seat for each member it invites

Accounts that exist before this revision get the default of 5 seats.

Revision ID: eabc94485626
Revises: 9319b8b62b4c
Create Date: 2026-11-26 01:19:08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "eabc94485626"
down_revision: str | Sequence[str] | None = "9319b8b62b4c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_invitations_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "email", name=op.f("pk_invitations")),
    )
    with op.batch_alter_table("accounts") as table:
        # Only to fill the rows that exist already; new rows get their limit from the app.
        table.add_column(
            sa.Column("seat_limit", sa.Integer(), nullable=False, server_default=sa.text("5"))
        )
    with op.batch_alter_table("accounts") as table:
        table.alter_column("seat_limit", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("accounts") as table:
        table.drop_column("seat_limit")
    op.drop_table("invitations")

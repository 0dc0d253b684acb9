"""baseline: where each feature's first revision meets the others; later revisions start here

Each feature's first revision (accounts, outbox) has no parent of its own, so that a project
without that feature has no revision of it; this one revises them all and creates nothing.
A database stamped with it, as every database keel made was, holds all of them.

Revision ID: 5e1a0c7d9b24
Revises: 3f0c6a1b2d45, 7b9e2d4c6a13
Create Date: 2026-11-26 03:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "5e1a0c7d9b24"
down_revision: str | Sequence[str] | None = (
    # >>> example
    "3f0c6a1b2d45",
    # <<< example
    # >>> outbox
    "7b9e2d4c6a13",
    # <<< outbox
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Nothing: the features' first revisions created their tables."""


def downgrade() -> None:
    """Nothing: the features' first revisions drop their tables."""

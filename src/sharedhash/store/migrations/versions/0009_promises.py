"""Promises of issue 17: who has read a feed (so ended access is told, not hidden), mirrors whose access ended,
org suspensions.

Revision ID: 0009_promises
Revises: 0005_long_values
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sharedhash.store.models import UtcDateTime

revision: str = "0009_promises"
down_revision: str | None = "0005_long_values"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "feed_readers",
        sa.Column("list_id", _ID, sa.ForeignKey("hash_lists.id"), nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("first_read_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("list_id", "org_id"),
    )
    op.create_table(
        "mirror_access",
        sa.Column("list_id", _ID, sa.ForeignKey("hash_lists.id"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("since", UtcDateTime(), nullable=False),
        sa.Column("purged", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("list_id"),
    )
    op.create_table(
        "org_suspensions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("suspended_at", UtcDateTime(), nullable=False),
        sa.Column("reinstated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_org_suspensions_org_id", "org_suspensions", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_org_suspensions_org_id", table_name="org_suspensions")
    op.drop_table("org_suspensions")
    op.drop_table("mirror_access")
    op.drop_table("feed_readers")

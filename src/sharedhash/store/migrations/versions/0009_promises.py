"""Promises of issue 17: who has read a feed (so ended access is told, not hidden), mirrors whose access ended,
org suspensions, feedback a node sends to its source hub, mirrored entries' verdict counts at the source,
dispute resolutions and per-list dispute policies.

Revision ID: 0009_promises
Revises: 0010_reports
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sharedhash.store.models import UtcDateTime

revision: str = "0009_promises"
down_revision: str | None = "0010_reports"
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
    op.create_table(
        "feedback_outbox",
        sa.Column("id", _ID, nullable=False),
        sa.Column("entry_id", _ID, sa.ForeignKey("entries.id"), nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("source_url", sa.String(length=2000), nullable=False),
        sa.Column("source_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("verdict", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("done_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_feedback_outbox_state", "feedback_outbox", ["state", "id"])
    op.create_table(
        "source_feedback",
        sa.Column("entry_id", _ID, sa.ForeignKey("entries.id"), nullable=False),
        sa.Column("confirm", sa.Integer(), nullable=False),
        sa.Column("dispute", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("entry_id"),
    )
    op.create_table(
        "dispute_resolutions",
        sa.Column("id", _ID, nullable=False),
        sa.Column("entry_id", _ID, sa.ForeignKey("entries.id"), nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("reply", sa.Text(), nullable=False),
        sa.Column("restored_as", sa.BigInteger(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_dispute_resolutions_entry_id", "dispute_resolutions", ["entry_id"])
    op.create_table(
        "dispute_policies",
        sa.Column("list_id", _ID, sa.ForeignKey("hash_lists.id"), nullable=False),
        sa.Column("quarantine_after", sa.Integer(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("list_id"),
    )


def downgrade() -> None:
    op.drop_table("dispute_policies")
    op.drop_index("ix_dispute_resolutions_entry_id", table_name="dispute_resolutions")
    op.drop_table("dispute_resolutions")
    op.drop_table("source_feedback")
    op.drop_index("ix_feedback_outbox_state", table_name="feedback_outbox")
    op.drop_table("feedback_outbox")
    op.drop_index("ix_org_suspensions_org_id", table_name="org_suspensions")
    op.drop_table("org_suspensions")
    op.drop_table("mirror_access")
    op.drop_table("feed_readers")

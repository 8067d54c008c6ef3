"""Acting on a match: content checks and their matches, webhook endpoints, the event outbox, review queues.

Revision ID: 0006_act_foundation
Revises: 0005_long_values
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sharedhash.store.models import UtcDateTime

revision: str = "0006_act_foundation"
down_revision: str | None = "0005_long_values"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_endpoints",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("secret", sa.String(length=400), nullable=False),
        sa.Column("previous_secret", sa.String(length=400), nullable=True),
        sa.Column("previous_secret_until", UtcDateTime(), nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "name"),
    )
    op.create_table(
        "outbox_events",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("endpoint_id", _ID, sa.ForeignKey("webhook_endpoints.id"), nullable=False),
        sa.Column("webhook_id", sa.String(length=64), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("ordering_key", sa.String(length=600), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("finished_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("webhook_id"),
    )
    op.create_index("ix_outbox_events_due", "outbox_events", ["state", "next_attempt_at"])
    op.create_index("ix_outbox_events_order", "outbox_events", ["endpoint_id", "ordering_key", "id"])
    op.create_table(
        "checks",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("content_id", sa.String(length=500), nullable=False),
        sa.Column("content_type", sa.String(length=16), nullable=False),
        sa.Column("uploader_id", sa.String(length=500), nullable=True),
        sa.Column("uploaded_at", UtcDateTime(), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("hashes", sa.JSON(), nullable=False),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "idempotency_key"),
    )
    op.create_index("ix_checks_org_created", "checks", ["org_id", "created_at"])
    op.create_index("ix_checks_org_uploader", "checks", ["org_id", "uploader_id"])
    op.create_table(
        "matches",
        sa.Column("id", _ID, nullable=False),
        sa.Column("check_id", _ID, sa.ForeignKey("checks.id"), nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("list_id", _ID, sa.ForeignKey("hash_lists.id"), nullable=False),
        sa.Column("entry_id", sa.BigInteger(), nullable=False),
        sa.Column("hash_type", sa.String(length=32), nullable=False),
        sa.Column("distance", sa.Integer(), nullable=False),
        sa.Column("retroactive", sa.Boolean(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("rule", sa.String(length=100), nullable=True),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_matches_check", "matches", ["check_id"])
    op.create_index("ix_matches_org_created", "matches", ["org_id", "created_at"])
    op.create_table(
        "review_queues",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "name"),
    )
    op.create_table(
        "review_items",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("queue_id", _ID, sa.ForeignKey("review_queues.id"), nullable=False),
        sa.Column("check_id", _ID, sa.ForeignKey("checks.id"), nullable=False),
        sa.Column("match_id", _ID, sa.ForeignKey("matches.id"), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("claimed_by", sa.BigInteger(), nullable=True),
        sa.Column("claimed_at", UtcDateTime(), nullable=True),
        sa.Column("decision", sa.String(length=32), nullable=True),
        sa.Column("classification", sa.String(length=4), nullable=True),
        sa.Column("decided_by", sa.BigInteger(), nullable=True),
        sa.Column("decided_at", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_review_items_next", "review_items", ["queue_id", "state", "priority", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_review_items_next", table_name="review_items")
    op.drop_table("review_items")
    op.drop_table("review_queues")
    op.drop_index("ix_matches_org_created", table_name="matches")
    op.drop_index("ix_matches_check", table_name="matches")
    op.drop_table("matches")
    op.drop_index("ix_checks_org_uploader", table_name="checks")
    op.drop_index("ix_checks_org_created", table_name="checks")
    op.drop_table("checks")
    op.drop_index("ix_outbox_events_order", table_name="outbox_events")
    op.drop_index("ix_outbox_events_due", table_name="outbox_events")
    op.drop_table("outbox_events")
    op.drop_table("webhook_endpoints")

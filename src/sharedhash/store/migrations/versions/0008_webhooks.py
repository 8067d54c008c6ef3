"""Webhooks: every delivery attempt of an outbox event (status, latency, response code, first KiB of the answer).

Revision ID: 0008_webhooks
Revises: 0006_act_foundation
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sharedhash.store.models import UtcDateTime

revision: str = "0008_webhooks"
down_revision: str | None = "0006_act_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "webhook_attempts",
        sa.Column("id", _ID, nullable=False),
        sa.Column("event_id", _ID, sa.ForeignKey("outbox_events.id"), nullable=False),
        sa.Column("endpoint_id", _ID, sa.ForeignKey("webhook_endpoints.id"), nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("latency_ms", sa.Float(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_webhook_attempts_event", "webhook_attempts", ["event_id", "id"])
    op.create_index("ix_webhook_attempts_endpoint", "webhook_attempts", ["endpoint_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_webhook_attempts_endpoint", table_name="webhook_attempts")
    op.drop_index("ix_webhook_attempts_event", table_name="webhook_attempts")
    op.drop_table("webhook_attempts")

"""Deterrence: per-org settings (public mode, message catalog), daily counters per rule, click-through links.

Revision ID: 0002_deterrence
Revises: 0001
Create Date: 2026-11-22 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sharedhash.store.models import UtcDateTime

revision: str = "0002_deterrence"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "deterrence_settings",
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("public_per_minute", sa.Integer(), nullable=False),
        sa.Column("catalog", sa.JSON(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("org_id"),
    )
    op.create_table(
        "deterrence_counters",
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("rule_id", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("checks", sa.BigInteger(), nullable=False),
        sa.Column("responses", sa.BigInteger(), nullable=False),
        sa.Column("clicks", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("org_id", "rule_id", "day"),
    )
    op.create_table(
        "deterrence_links",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("rule_id", sa.String(length=16), nullable=False),
        sa.Column("url_hash", sa.String(length=64), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("org_id", "rule_id", "url_hash"),
    )
    op.create_table(
        "deterrence_secrets",
        sa.Column("id", sa.Integer(), nullable=False, autoincrement=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("deterrence_secrets")
    op.drop_table("deterrence_links")
    op.drop_table("deterrence_counters")
    op.drop_table("deterrence_settings")

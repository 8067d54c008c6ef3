"""Quarantine of review media (encrypted files of checks) and automatic contribution of confirmed content.

Revision ID: 0015_quarantine
Revises: 0014_report_drafts
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sharedhash.store.models import UtcDateTime

revision: str = "0015_quarantine"
down_revision: str | None = "0014_report_drafts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.add_column("review_settings", sa.Column("quarantine", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column("review_settings", sa.Column("contribute_list_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "quarantine_files",
        sa.Column("id", _ID, nullable=False),
        sa.Column("org_id", _ID, sa.ForeignKey("orgs.id"), nullable=False),
        sa.Column("check_id", _ID, sa.ForeignKey("checks.id"), nullable=False),
        sa.Column("path", sa.String(length=200), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("wrapped_key", sa.String(length=400), nullable=False),
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("preserve_until", UtcDateTime(), nullable=True),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.Column("deleted_reason", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("check_id"),
    )
    op.create_index("ix_quarantine_files_org", "quarantine_files", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_files_org", table_name="quarantine_files")
    op.drop_table("quarantine_files")
    op.drop_column("review_settings", "contribute_list_id")
    op.drop_column("review_settings", "quarantine")

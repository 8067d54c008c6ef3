"""Draft reports from confirmed reviews: a report's file remembers the review item it was drafted from.

Revision ID: 0014_report_drafts
Revises: 0013_video_rule
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_report_drafts"
down_revision: str | None = "0013_video_rule"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("report_files", sa.Column("review_item_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_report_files_review_item", "report_files", ["review_item_id"])


def downgrade() -> None:
    op.drop_index("ix_report_files_review_item", table_name="report_files")
    op.drop_column("report_files", "review_item_id")

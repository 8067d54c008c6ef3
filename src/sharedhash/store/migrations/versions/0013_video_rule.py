"""A list's video match rule: the shares (%) of the listed video's and of the query's frames that must match.

Revision ID: 0013_video_rule
Revises: 0007_act
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_video_rule"
down_revision: str | None = "0007_act"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing lists keep the rule they matched by until now (the reference's defaults).
    op.add_column("hash_lists", sa.Column("video_listed_percent", sa.Integer(), nullable=False, server_default="80"))
    op.add_column("hash_lists", sa.Column("video_query_percent", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    op.drop_column("hash_lists", "video_query_percent")
    op.drop_column("hash_lists", "video_listed_percent")

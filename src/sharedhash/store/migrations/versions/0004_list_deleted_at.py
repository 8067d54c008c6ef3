"""Lists can be deleted by their owner: ``hash_lists.deleted_at``.

Revision ID: 0004_list_deleted_at
Revises: 0003_hub_write
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from sharedhash.store.models import UtcDateTime

revision: str = "0004_list_deleted_at"
down_revision: str | None = "0003_hub_write"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("hash_lists", sa.Column("deleted_at", UtcDateTime(), nullable=True))


def downgrade() -> None:
    op.drop_column("hash_lists", "deleted_at")

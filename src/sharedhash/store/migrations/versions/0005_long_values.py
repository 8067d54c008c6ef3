"""Long hash values (video hashes): ``entry_hashes.value`` becomes TEXT; uniqueness of long values on PostgreSQL.

A vpdq value is about 86 characters per hashed frame (about 300 KB for an hour hashed once a second), over the
512 characters of the column and, on PostgreSQL, far over what one B-tree index row may hold (about 2.7 KB):
inserting such a value into the unique index ``ix_entry_hashes_active_value`` would fail. On PostgreSQL the
column becomes ``text`` (no table rewrite from ``varchar``) and the unique index is on ``md5(value)`` instead of
the value (``ix_entry_hashes_active_value_md5``); the store's queries by value also compare ``md5(value)``, so
they still use the index, and compare the value itself, so a match stays exact. SQLite needs no change: it
stores ``VARCHAR(512)`` as unbounded text and its B-tree keys may be of any length (long keys go to overflow
pages), so its unique index on the value itself keeps working; rebuilding the table would only cost time.

Revision ID: 0005_long_values
Revises: 0004_list_deleted_at
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_long_values"
down_revision: str | None = "0004_list_deleted_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column("entry_hashes", "value", type_=sa.Text(), existing_type=sa.String(512), existing_nullable=False)
    op.create_index(
        "ix_entry_hashes_active_value_md5",
        "entry_hashes",
        ["list_id", "hash_type", sa.text("md5(value)")],
        unique=True,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index("ix_entry_hashes_active_value", table_name="entry_hashes")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # Fails (as it must) while a value over 512 characters is stored: remove those entries first.
    op.alter_column("entry_hashes", "value", type_=sa.String(512), existing_type=sa.Text(), existing_nullable=False)
    op.create_index(
        "ix_entry_hashes_active_value",
        "entry_hashes",
        ["list_id", "hash_type", "value"],
        unique=True,
        postgresql_where=sa.text("deleted_at IS NULL"),
    )
    op.drop_index("ix_entry_hashes_active_value_md5", table_name="entry_hashes")

"""Content-check write speed: ``ix_check_hashes_value`` only on the check hashes that are read by value.

The index on ``check_hashes (hash_type, value)`` serves one reader: retroactive matching of the exact types (store/
checks.py ``check_hashes_by_value``). The near-match types (a hub's PDQ hashes, nearly all of its check hashes) are
matched through the node's in-memory index of check hashes, found by id (the primary key), loaded at start by type
and time, and purged by time: none of these reads the value index. Yet each of their rows was inserted into it at a
random place (the values are random), the most costly part of storing a check hash: on a table of 1,000,000 check
hashes, inserting 10,000 PDQ rows took 440-600 ms with the full index and 110-140 ms with this one (docs/
benchmarks.md, issue 12, act12k). The index is now partial, ``WHERE hash_type NOT IN (<near-match types>)``
(the near-match types of this revision, frozen below), on both backends; the reader repeats
the condition so that SQLite uses it. No stored value changes.

Revision ID: 0017_check_hash_value_index
Revises: 0016_check_writes
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_check_hash_value_index"
down_revision: str | None = "0016_check_writes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The index's condition as this revision made it: frozen here (a migration is a snapshot of the schema), not read
#: from store/models.py's ``check_hash_value_indexed``, which follows the registered hash types. A later near-match
#: type changes that function and needs a new revision re-creating the index; tests/store/test_check_hash_index.py
#: compares the migrated database's condition with the function's, so it fails until that revision exists.
INDEXED = "hash_type NOT IN ('pdq', 'pdqr')"


def upgrade() -> None:
    where = sa.text(INDEXED)
    op.drop_index("ix_check_hashes_value", table_name="check_hashes")
    op.create_index(
        "ix_check_hashes_value",
        "check_hashes",
        ["hash_type", "value"],
        postgresql_where=where,
        sqlite_where=where,
    )


def downgrade() -> None:
    op.drop_index("ix_check_hashes_value", table_name="check_hashes")
    op.create_index("ix_check_hashes_value", "check_hashes", ["hash_type", "value"])

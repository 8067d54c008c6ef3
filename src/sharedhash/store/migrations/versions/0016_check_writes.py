"""Content-check write speed: no per-row foreign-key checks on PostgreSQL's content-check tables.

On PostgreSQL, the foreign keys of ``checks``, ``check_hashes``, ``matches`` and ``review_items`` are dropped, as
0003_hub_write did for the hub's bulk tables. PostgreSQL checks a foreign key with one trigger query per inserted
row; measured on a batch of 10,000 hash-only checks (10,000 checks and check hashes, 5,000 matches and review
items) into tables of 500,000 checks, the four inserts took ~600 ms with the keys and ~350 ms without them
(docs/benchmarks.md, issue 12, act12g), at a budget of 500 ms per batch for everything (20,000 hashes/s).

Why the checks cannot fail (all SQL is in ``store/``):

- orgs, hash lists and review queues are never deleted (lists are soft-deleted), and every writer takes the org,
  list and queue ids from the authenticated caller, the in-memory index of stored hashes, or a queue row it read or
  created in the same transaction;
- a check's hashes, matches and review items are written in the transaction that inserts the check (ids returned
  by that insert), or, for a retroactive match, in a transaction that first locks the check's row (``FOR NO KEY
  UPDATE``);
- checks and matches are deleted only by the retention purge (store/checks.py ``purge_before``), which deletes a
  check's hashes and matches with it, leaves out checks under review or in quarantine, locks the checks it
  deletes (``FOR UPDATE SKIP LOCKED``: a check a retroactive match holds is left for the next round) and reads
  their review items again once they are locked.

The keys that point at ``checks`` from rarely written tables (``quarantine_files``, ``media_views``) stay. SQLite
keeps every foreign key (its checks cost little); the ORM models still declare the relations.

Revision ID: 0016_check_writes
Revises: 0015_quarantine
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_check_writes"
down_revision: str | None = "0015_quarantine"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, column, referenced table) of the foreign keys dropped on PostgreSQL.
CHECK_FOREIGN_KEYS = (
    ("checks", "org_id", "orgs"),
    ("check_hashes", "check_id", "checks"),
    ("check_hashes", "org_id", "orgs"),
    ("matches", "check_id", "checks"),
    ("matches", "org_id", "orgs"),
    ("matches", "list_id", "hash_lists"),
    ("review_items", "org_id", "orgs"),
    ("review_items", "queue_id", "review_queues"),
    ("review_items", "check_id", "checks"),
    ("review_items", "match_id", "matches"),
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    inspector = sa.inspect(bind)
    for table, column, parent in CHECK_FOREIGN_KEYS:
        for fk in inspector.get_foreign_keys(table):
            if fk["constrained_columns"] == [column] and fk["referred_table"] == parent and fk["name"]:
                op.drop_constraint(fk["name"], table, type_="foreignkey")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for table, column, parent in CHECK_FOREIGN_KEYS:
        op.create_foreign_key(f"{table}_{column}_fkey", table, parent, [column], ["id"])

"""The content-check tables without foreign keys on PostgreSQL (migration 0016_check_writes): the retention purge and
a retroactive match lock the checks instead, so no match, review item or check hash is left pointing at a deleted
check; SQLite keeps its keys; the migration undoes and redoes on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, inspect, select

from sharedhash.store import checks as store
from sharedhash.store.db import Database, downgrade, upgrade
from sharedhash.store.lists import create_list
from sharedhash.store.models import CheckHash, ContentCheck, ContentMatch, ReviewItem, utcnow
from sharedhash.store.review import enqueue_reviews
from tests.support.db import BACKENDS
from tests.support.store import make_org, pdq

#: The keys 0016 drops on PostgreSQL: (table, column, referenced table).
DROPPED = {
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
}


def _keys(db: Database, tables: set[str]) -> set[tuple[str, str, str]]:
    inspector = inspect(db.engine)
    return {
        (table, fk["constrained_columns"][0], fk["referred_table"])
        for table in tables
        for fk in inspector.get_foreign_keys(table)
    }


def test_the_check_tables_have_foreign_keys_on_sqlite_only_and_the_migration_undoes(db: Database) -> None:
    tables = {t for t, _, _ in DROPPED}
    kept = ("quarantine_files", "check_id", "checks")
    dropped_here = set() if db.is_sqlite else DROPPED
    assert _keys(db, tables) & DROPPED == DROPPED - dropped_here
    assert kept in _keys(db, {"quarantine_files"})
    downgrade(db.engine, "0015_quarantine")
    assert _keys(db, tables) & DROPPED == DROPPED
    upgrade(db.engine)
    assert _keys(db, tables) & DROPPED == DROPPED - dropped_here


def _old_checks(db: Database, n: int, *, reviewed: int = 0) -> tuple[list[int], int]:
    """``n`` checks made 400 days ago, each with a check hash and a match; the first ``reviewed`` of them with a
    review item. Their ids and the org's."""
    caller = make_org(db, "quuxvid")
    at = utcnow() - timedelta(days=400)
    with db.writing() as s:
        list_id = create_list(s, caller, "zorblax").id
        rows: list[store.CheckColumns] = []
        for i in range(n):
            key = store.idempotency_key(f"zorblax-{i}", [("pdq", pdq(i))])
            rows.append((key, f"zorblax-{i}", "image", None, None, None, "[]", "[]", True, '["review"]'))
        ids = store.write_checks(s, caller.org_id, at, rows)
        store.write_check_hashes(s, caller.org_id, at, [(c, "pdq", pdq(i)) for i, c in enumerate(ids)])
        match_ids = store.write_matches(
            s, caller.org_id, at, [(c, list_id, 1, "pdq", 0, "{}", None, '["review"]') for c in ids]
        )
        items: list[tuple[int, int | None, str, int]] = [
            (c, m, "default", 0) for c, m in zip(ids, match_ids, strict=True)
        ]
        enqueue_reviews(s, caller.org_id, items[:reviewed])
    return ids, caller.org_id


def _rows(db: Database, check_id: int) -> tuple[int, int, int, int]:
    """How many checks, check hashes, matches and review items this check has."""
    with db.reading() as s:
        return (
            int(s.scalar(select(func.count()).where(ContentCheck.id == check_id)) or 0),
            int(s.scalar(select(func.count()).where(CheckHash.check_id == check_id)) or 0),
            int(s.scalar(select(func.count()).where(ContentMatch.check_id == check_id)) or 0),
            int(s.scalar(select(func.count()).where(ReviewItem.check_id == check_id)) or 0),
        )


def test_the_purge_keeps_checks_under_review_and_deletes_the_rest_whole(db: Database) -> None:
    ids, _ = _old_checks(db, 3, reviewed=1)
    with db.writing() as s:
        gone, hashes = store.purge_before(s, utcnow() - timedelta(days=1))
    assert gone == 2
    assert len(hashes) == 3  # a reviewed check's hashes go too
    assert _rows(db, ids[0]) == (1, 0, 1, 1)
    assert _rows(db, ids[1]) == (0, 0, 0, 0)
    assert _rows(db, ids[2]) == (0, 0, 0, 0)


@pytest.mark.parametrize("database_url", [p for p in BACKENDS if p.id == "postgres"], indirect=True)
def test_the_purge_leaves_a_check_a_retroactive_match_holds(db: Database) -> None:
    """PostgreSQL (SQLite has one writer at a time): a check locked by a retroactive match's transaction is left
    for a later round, without waiting; the lock leaves out a check purged before it was granted."""
    ids, _ = _old_checks(db, 2)
    cutoff = utcnow() - timedelta(days=1)
    with db.writing() as holder:
        assert set(store.checks_by_id(holder, [ids[0]], lock=True)) == {ids[0]}
        with db.writing() as s:
            gone, _ = store.purge_before(s, cutoff)
        assert gone == 1
        assert _rows(db, ids[1]) == (0, 0, 0, 0)
    assert _rows(db, ids[0]) == (1, 0, 1, 0)
    with db.writing() as s:
        assert store.purge_before(s, cutoff)[0] == 1
    assert _rows(db, ids[0]) == (0, 0, 0, 0)
    with db.writing() as s:
        assert store.checks_by_id(s, ids, lock=True) == {}

"""Concurrent writers: SQLite queues them (BEGIN IMMEDIATE), PostgreSQL serialises per list (row lock)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from sharedhash.store.db import Database
from sharedhash.store.entries import add_entry, list_entries
from sharedhash.store.lists import create_list
from sharedhash.store.models import Change
from tests.support.store import entry, make_org, md5


def test_concurrent_adds_keep_a_dense_feed_and_stay_idempotent(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        lst = create_list(s, owner, "main")

    def add(n: int) -> tuple[int, bool]:
        # Half the calls add a hash another thread adds too: exactly one entry may result for it.
        with db.writing() as s:
            view, created = add_entry(s, owner, lst.id, entry(("md5", md5(n // 2))))
            return view.entry.id, created

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(add, range(60)))
    assert sum(created for _, created in results) == 30
    with db.reading() as s:
        assert len(list_entries(s, owner, lst.id, limit=1000)) == 30
        seqs = list(s.scalars(select(Change.seq).where(Change.list_id == lst.id).order_by(Change.seq)))
    assert seqs == list(range(1, 31))


def test_concurrent_first_uses_of_a_review_queue_share_one_queue(db: Database) -> None:
    """Checks matching at once before an org's queue exists all enqueue into the one queue (PostgreSQL: the
    transactions that lose the race on the unique name find the winner's queue instead of failing)."""
    import threading
    import time

    from sharedhash.store.models import ReviewQueue
    from sharedhash.store.review import queue_named

    org = make_org(db, "quuxqueue")
    inserted = threading.Event()
    release = threading.Event()

    def first() -> int:
        with db.writing() as s:
            queue_id = queue_named(s, org.org_id, "default").id
            inserted.set()
            release.wait(5)  # hold the transaction open while the others try
            return queue_id

    def later() -> int:
        inserted.wait(5)
        with db.writing() as s:
            return queue_named(s, org.org_id, "default").id

    with ThreadPoolExecutor(max_workers=4) as pool:
        winner = pool.submit(first)
        others = [pool.submit(later) for _ in range(3)]
        inserted.wait(5)
        time.sleep(1.0)  # let the others reach their insert of the same queue, blocked behind the first
        release.set()
        ids = {winner.result(), *(f.result() for f in others)}
    assert len(ids) == 1
    with db.reading() as s:
        assert len(list(s.scalars(select(ReviewQueue).where(ReviewQueue.org_id == org.org_id)))) == 1

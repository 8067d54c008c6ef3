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

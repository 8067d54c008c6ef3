"""Deterrence storage: counters add up exactly under concurrent writers, links and the token key are made once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from sharedhash.server.deterrence.limits import CounterBuffer, today
from sharedhash.store import deterrence as store
from sharedhash.store.db import Database
from sharedhash.store.models import AuditEvent
from tests.support.store import make_org

DAY = date(2026, 11, 22)


def test_concurrent_upserts_lose_no_increment(db: Database) -> None:
    org = make_org(db, "owner")

    def write(n: int) -> None:
        deltas = {
            (org.org_id, "", DAY): store.CounterDelta(checks=3, responses=2, clicks=1),
            (org.org_id, f"rule{n % 3}", DAY): store.CounterDelta(responses=2, clicks=1),
        }
        with db.writing() as s:
            store.add_counts(s, deltas)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(write, range(90)))
    with db.reading() as s:
        rows = {r.rule_id: (r.checks, r.responses, r.clicks) for r in store.counters(s, org.org_id, DAY)}
    assert rows == {"": (270, 180, 90), "rule0": (0, 60, 30), "rule1": (0, 60, 30), "rule2": (0, 60, 30)}


def test_buffers_in_two_processes_flush_into_the_same_rows(db: Database) -> None:
    org = make_org(db, "owner")
    buffers = [CounterBuffer(db), CounterBuffer(db)]  # as two server processes would hold
    stop = threading.Event()

    def flusher(buffer: CounterBuffer) -> None:
        while not stop.is_set():
            buffer.flush()

    def counter(buffer: CounterBuffer) -> None:
        for i in range(500):
            buffer.count(org.org_id, "ab12" if i % 2 else None, check=True)
            if i % 5 == 0:
                buffer.count(org.org_id, "ab12", click=True)

    flushers = [threading.Thread(target=flusher, args=(b,)) for b in buffers]
    for t in flushers:
        t.start()
    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(counter, buffers * 2))
    stop.set()
    for t in flushers:
        t.join()
    for b in buffers:
        b.flush()
    with db.reading() as s:
        rows = {r.rule_id: (r.checks, r.responses, r.clicks) for r in store.counters(s, org.org_id, today().date())}
        audited = sum(e.count for e in s.query(AuditEvent).filter(AuditEvent.action == "deterrence.check"))
    assert rows == {"": (2000, 1000, 400), "ab12": (0, 1000, 400)}
    assert audited == 2000  # the audit log holds counts of checks, nothing else


def test_link_rows_and_the_token_key_are_made_once(db: Database) -> None:
    org = make_org(db, "owner")

    def make(_: int) -> tuple[int, bytes]:
        with db.writing() as s:
            return store.link_id(s, org.org_id, "ab12", "https://help.example.org"), store.link_secret(s)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = set(pool.map(make, range(24)))
    assert len(results) == 1
    (link, key) = results.pop()
    assert len(key) == 32
    with db.writing() as s:
        assert store.link_id(s, org.org_id, "cd34", "https://help.example.org") != link
        row = store.get_link(s, link)
        assert row is not None
        assert row.url == "https://help.example.org"

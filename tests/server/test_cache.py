"""The lookup path's caches: every write through the server takes effect at once, other processes' within a round.

"Another process" is a second :class:`Database` on the same database, as ``sharedhash sync`` or the command line
would open: its commits reach the server only through the follower's poll (``index_follow_seconds`` = 0.2 here).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import event, select

from sharedhash.server.memory.entry_cache import EntryCache
from sharedhash.store.db import Database, open_database
from sharedhash.store.entries import remove_entry
from sharedhash.store.feedback import Reason, give_feedback, withdraw_feedback
from sharedhash.store.lists import set_shares, update_list
from sharedhash.store.models import Entry, HashList, Org, Scope, Verdict, Visibility
from sharedhash.store.orgs import caller_for_org, get_org_by_name, revoke_key
from sharedhash.store.visibility import readable_lists
from tests.support.api import add, assert_error, flip, lookup, md5, new_list, pdq
from tests.support.hub import Hub, state_of


@pytest.fixture
def other(hub: Hub) -> Iterator[Database]:
    """The same database opened a second time, as another process would."""
    database = open_database(state_of(hub).db.url, migrate=False)
    yield database
    database.dispose()


def as_org(db: Database, name: str) -> Any:
    """A key-less caller for ``name`` (what the command line and sync act as)."""
    with db.reading() as s:
        return caller_for_org(get_org_by_name(s, name), frozenset({Scope.ADMIN}))


def eventually(check: Callable[[], bool], timeout: float = 10) -> None:
    """Wait until ``check()`` holds (the follower polls every 0.2 s here); fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("the change was not picked up")
        time.sleep(0.05)


def test_revoking_a_cached_key_refuses_it_at_once(hub: Hub) -> None:
    key = hub.client.post("/v1/keys", json={"scopes": ["read"]}, headers=hub.auth("owner")).json()
    temp = {"Authorization": f"Bearer {key['key']}"}
    for _ in range(3):  # the key is now cached
        assert hub.client.get("/v1/hash-lists", headers=temp).status_code == 200
    assert state_of(hub).caches.keys.get_cached(key["prefix"]) is not None
    assert hub.client.delete(f"/v1/keys/{key['id']}", headers=hub.auth("owner")).status_code == 200
    assert_error(hub.client.get("/v1/hash-lists", headers=temp), 401, "key_revoked")
    # The secret is checked on every request, cached or not.
    forged = {"Authorization": f"Bearer {hub.keys['owner'][:-2]}zz"}
    assert hub.client.get("/v1/hash-lists", headers=hub.auth("owner")).status_code == 200
    assert_error(hub.client.get("/v1/hash-lists", headers=forged), 401, "unauthenticated")


def test_a_key_revoked_by_another_process_is_refused_within_a_round(hub: Hub, other: Database) -> None:
    key = hub.client.post("/v1/keys", json={"scopes": ["read"]}, headers=hub.auth("owner")).json()
    temp = {"Authorization": f"Bearer {key['key']}"}
    assert hub.client.get("/v1/hash-lists", headers=temp).status_code == 200
    with other.writing() as s:
        revoke_key(s, as_org(other, "owner"), key["id"])
    eventually(lambda: hub.client.get("/v1/hash-lists", headers=temp).status_code == 401)
    assert_error(hub.client.get("/v1/hash-lists", headers=temp), 401, "key_revoked")


def test_sharing_visibility_and_threshold_changes_apply_at_once(hub: Hub) -> None:
    lst = new_list(hub, visibility="shared", shares=[{"org": "sharee", "access": "read"}], pdq_threshold=31)
    add(hub, lst["id"], ("pdq", pdq(1)), ("md5", md5(1)))
    near = flip(pdq(1), 20)
    assert len(lookup(hub, ("md5", md5(1)), who="sharee")) == 1
    assert lookup(hub, ("md5", md5(1)), who="stranger") == []
    url = f"/v1/hash-lists/{lst['id']}"
    assert hub.client.patch(url, json={"shares": []}, headers=hub.auth("owner")).status_code == 200
    assert lookup(hub, ("md5", md5(1)), who="sharee") == []
    assert hub.client.patch(url, json={"visibility": "members"}, headers=hub.auth("owner")).status_code == 200
    assert len(lookup(hub, ("md5", md5(1)), who="stranger")) == 1
    assert hub.client.patch(url, json={"visibility": "private"}, headers=hub.auth("owner")).status_code == 200
    assert lookup(hub, ("md5", md5(1)), who="stranger") == []
    assert lookup(hub, ("md5", md5(1)), who="sharee") == []
    assert len(lookup(hub, ("pdq", near))) == 1
    assert hub.client.patch(url, json={"pdq_threshold": 10}, headers=hub.auth("owner")).status_code == 200
    assert lookup(hub, ("pdq", near)) == []
    assert hub.client.patch(url, json={"name": "quuxvid"}, headers=hub.auth("owner")).status_code == 200
    assert [m["list_name"] for m in lookup(hub, ("md5", md5(1)))] == ["quuxvid"]


def test_sharing_changed_by_another_process_applies_within_a_round(hub: Hub, other: Database) -> None:
    lst = new_list(hub, visibility="shared", shares=[{"org": "sharee", "access": "read"}])
    add(hub, lst["id"], ("md5", md5(1)))
    assert len(lookup(hub, ("md5", md5(1)), who="sharee")) == 1
    owner = as_org(other, "owner")
    with other.writing() as s:
        set_shares(s, owner, lst["id"], [])
    eventually(lambda: lookup(hub, ("md5", md5(1)), who="sharee") == [])
    with other.writing() as s:
        update_list(s, owner, lst["id"], visibility=Visibility.MEMBERS)
    eventually(lambda: len(lookup(hub, ("md5", md5(1)), who="stranger")) == 1)


def test_entry_changes_and_removals_apply_at_once(hub: Hub) -> None:
    lst = new_list(hub)
    e = add(hub, lst["id"], ("md5", md5(1)), classification="A1", labels=["zorblax"])
    assert lookup(hub, ("md5", md5(1)))[0]["classification"] == "A1"
    r = hub.client.patch(
        f"/v1/entries/{e['id']}", json={"classification": "B2", "labels": ["quuxvid"]}, headers=hub.auth("owner")
    )
    assert r.status_code == 200
    m = lookup(hub, ("md5", md5(1)))[0]
    assert (m["classification"], m["labels"]) == ("B2", ["quuxvid"])
    assert hub.client.delete(f"/v1/entries/{e['id']}", headers=hub.auth("owner")).status_code == 204
    assert lookup(hub, ("md5", md5(1))) == []


def test_an_entry_removed_by_another_process_stops_matching_within_a_round(hub: Hub, other: Database) -> None:
    lst = new_list(hub)
    e = add(hub, lst["id"], ("pdq", pdq(3)))
    assert len(lookup(hub, ("pdq", pdq(3)))) == 1
    with other.writing() as s:
        remove_entry(s, as_org(other, "owner"), e["id"])
    eventually(lambda: lookup(hub, ("pdq", pdq(3))) == [])


def test_disputes_and_withdrawals_apply_at_once(hub: Hub) -> None:
    lst = new_list(hub, visibility="members")
    e = add(hub, lst["id"], ("md5", md5(1)))
    assert lookup(hub, ("md5", md5(1)), who="stranger")[0]["feedback"] == {"confirm": 0, "dispute": 0}
    url = f"/v1/entries/{e['id']}/feedback"
    body = {"verdict": "dispute", "reason": "false_positive"}
    assert hub.client.put(url, json=body, headers=hub.auth("stranger")).status_code == 200
    assert lookup(hub, ("md5", md5(1)), who="stranger") == []
    assert lookup(hub, ("md5", md5(1)), who="sharee")[0]["feedback"] == {"confirm": 0, "dispute": 1}
    # Changing the verdict back to confirm, then withdrawing it: each answer follows at once.
    r = hub.client.put(url, json={"verdict": "confirm", "reason": "verified"}, headers=hub.auth("stranger"))
    assert r.status_code == 200
    assert lookup(hub, ("md5", md5(1)), who="stranger")[0]["feedback"] == {"confirm": 1, "dispute": 0}
    assert hub.client.put(url, json=body, headers=hub.auth("stranger")).status_code == 200
    assert lookup(hub, ("md5", md5(1)), who="stranger") == []
    assert hub.client.delete(url, headers=hub.auth("stranger")).status_code == 204
    assert lookup(hub, ("md5", md5(1)), who="stranger")[0]["feedback"] == {"confirm": 0, "dispute": 0}


def test_feedback_from_another_process_applies_within_a_round(hub: Hub, other: Database) -> None:
    lst = new_list(hub, visibility="members")
    e = add(hub, lst["id"], ("md5", md5(1)))
    assert len(lookup(hub, ("md5", md5(1)), who="stranger")) == 1
    stranger = as_org(other, "stranger")
    with other.writing() as s:
        give_feedback(s, stranger, e["id"], Verdict.DISPUTE, Reason.NOT_ILLEGAL)
    eventually(lambda: lookup(hub, ("md5", md5(1)), who="stranger") == [])
    # The lookup above may have cached the dispute before any round saw it; a withdrawal right after leaves the
    # table's fingerprint as the last round saw it (the entry is read again anyway: it was kept with a verdict).
    with other.writing() as s:
        withdraw_feedback(s, stranger, e["id"])
    eventually(lambda: len(lookup(hub, ("md5", md5(1)), who="stranger")) == 1)


def test_in_memory_visibility_is_the_databases(hub: Hub) -> None:
    new_list(hub, name="private")
    new_list(hub, name="shared-read", visibility="shared", shares=[{"org": "sharee", "access": "read"}])
    new_list(hub, name="shared-contribute", visibility="shared", shares=[{"org": "stranger", "access": "contribute"}])
    new_list(hub, name="members", visibility="members")
    new_list(hub, who="sharee", name="theirs")
    state = state_of(hub)
    with state.db.reading() as s:
        for org in s.scalars(select(Org)):
            caller = caller_for_org(org)
            expected = set(s.scalars(readable_lists(caller).with_only_columns(HashList.id)))
            assert set(state.caches.policy.visible(state.db, org.id)) == expected, org.name


def test_a_fill_overlapping_a_write_is_not_kept(hub: Hub) -> None:
    lst = new_list(hub)
    e = add(hub, lst["id"], ("md5", md5(1)), classification="A1")
    state = state_of(hub)
    cache = state.caches.entries
    cache.invalidate([e["id"]])
    written: list[Any] = []

    # Right after the cache's query for the entry ran, a write commits a new classification (as a concurrent
    # request would); the query's rows were already produced from the state before it.
    def write_after_read(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if written or not statement.lstrip().upper().startswith("SELECT") or "entries.classification" not in statement:
            return
        written.append(True)
        with state.db.writing() as s:
            row = s.get(Entry, e["id"])
            assert row is not None
            row.classification = "B1"
        state.indexes.refresh_after_write(state.db, [e["id"]])

    event.listen(state.db.engine, "after_cursor_execute", write_after_read)
    try:
        seen = cache.get_many(state.db, [e["id"]])[e["id"]]
    finally:
        event.remove(state.db.engine, "after_cursor_execute", write_after_read)
    assert seen is not None
    assert seen.classification == "A1"  # the read that overlapped the write
    assert written
    assert cache.get_many(state.db, [e["id"]])[e["id"]].classification == "B1"  # type: ignore[union-attr]
    assert lookup(hub, ("md5", md5(1)))[0]["classification"] == "B1"


def test_entry_cache_warms_and_stays_within_its_limit(hub: Hub) -> None:
    lst = new_list(hub)
    ids = [add(hub, lst["id"], ("md5", md5(i)))["id"] for i in range(5)]
    cache = state_of(hub).caches.entries
    eventually(lambda: all(i in cache for i in ids))
    cache.clear()
    eventually(lambda: all(i in cache for i in ids))
    cache.max_entries = 2
    cache.clear()
    cache.warm(state_of(hub).db, state_of(hub).stop)
    assert len(cache) <= 2
    # Over the limit, misses are still answered (from the database).
    assert len(lookup(hub, *[("md5", md5(i)) for i in range(5)])) == 5


def test_readyz_tells_whether_the_entry_cache_is_still_warming(hub: Hub) -> None:
    lst = new_list(hub)
    for i in range(3):
        add(hub, lst["id"], ("md5", md5(i)))
    cache = state_of(hub).caches.entries

    def settled() -> bool:
        body = hub.client.get("/readyz").json()
        return body["entry_cache"] == {"entries": len(cache), "warming": False} and len(cache) >= 3

    eventually(settled)
    cache.clear()
    eventually(settled)


def test_an_entry_cache_with_work_pending_says_it_is_warming() -> None:
    cache = EntryCache(max_entries=10)  # no warmer thread: nothing takes the work away
    assert not cache.warming
    cache.rewarm.set()  # a full warm-up is due
    assert cache.warming
    cache.rewarm.clear()
    cache.refreshed([1, 2])  # refreshed entries wait to be read again
    assert cache.warming
    written = EntryCache(max_entries=10)
    written.written(5, 9)  # entries a bulk import created wait to be read
    assert written.warming
    with written.bulk_write():  # ... and are not handed out while a bulk write runs
        written._last_queued = 0.0
        assert written.take_ranges() == []
    written._last_queued = 0.0
    assert written.take_ranges() == [(5, 9)]
    assert written.warming  # taken, not yet read
    assert not EntryCache(max_entries=0).warming  # a disabled cache never warms


def test_feedback_through_the_server_keeps_the_rest_of_the_cache(hub: Hub) -> None:
    lst = new_list(hub, visibility="members")
    ids = [add(hub, lst["id"], ("md5", md5(i)))["id"] for i in range(3)]
    state = state_of(hub)
    cache = state.caches.entries
    eventually(lambda: all(i in cache for i in ids))
    clears = cache.clears
    url = f"/v1/entries/{ids[0]}/feedback"
    r = hub.client.put(url, json={"verdict": "dispute", "reason": "other"}, headers=hub.auth("sharee"))
    assert r.status_code == 200
    assert hub.client.delete(url, headers=hub.auth("sharee")).status_code == 204
    for _ in range(2):  # follower rounds: this process's own withdrawal is accounted for, nothing is cleared
        state.indexes.follow(state.db)
    assert cache.clears == clears
    assert ids[1] in cache
    assert ids[2] in cache
    assert len(lookup(hub, ("md5", md5(0)), who="sharee")) == 1


def test_entries_of_a_bulk_import_are_read_into_the_cache(hub: Hub) -> None:
    lst = new_list(hub)
    body = "".join(
        f'{{"hashes": [{{"hash_type": "md5", "value": "{md5(i)}"}}], "labels": ["zorblax"]}}\n' for i in range(300)
    )
    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/import", content=body.encode(), headers=hub.auth("owner"))
    assert r.json()["created"] == 300
    cache = state_of(hub).caches.entries
    ids = [m["entry_id"] for m in lookup(hub, ("md5", md5(0)), ("md5", md5(299)))]
    # The lookup read its two entries itself; the other 298 come from the warmer only.
    eventually(lambda: not cache.warming and sum(1 for i in range(min(ids), max(ids) + 1) if i in cache) == 300)


def test_reading_written_ranges_gives_way_to_a_bulk_write(hub: Hub) -> None:
    """The warmer reads what an import wrote only while no bulk write runs: one beginning between two pages stops
    the reading, and the rest of the range is read once writes have paused."""
    lst = new_list(hub)
    body = "".join(f'{{"hashes": [{{"hash_type": "md5", "value": "{md5(i)}"}}]}}\n' for i in range(250))
    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/import", content=body.encode(), headers=hub.auth("owner"))
    assert r.json()["created"] == 250
    ids = sorted(m["entry_id"] for m in lookup(hub, *(("md5", md5(i)) for i in range(250))))
    db = state_of(hub).db
    cache = EntryCache(max_entries=1000)  # no warmer thread: this test does its work
    read_page = cache._read_and_keep
    writes = cache.bulk_write()

    def read_then_a_write_begins(*args: Any) -> Any:
        found = read_page(*args)
        writes.__enter__()  # an import starts after the first page
        return found

    cache._read_and_keep = read_then_a_write_begins  # type: ignore[method-assign, assignment]
    stop = threading.Event()
    assert cache.warm_range(db, ids[0], ids[-1], stop, page=100, yield_to_writes=True) == 100
    assert cache.warming  # the rest waits
    cache._read_and_keep = read_page  # type: ignore[method-assign]
    cache._last_queued = 0.0
    assert cache.take_ranges() == []  # still writing
    writes.__exit__(None, None, None)
    cache._last_queued = 0.0
    rest = cache.take_ranges()
    assert rest == [(ids[99] + 1, ids[-1])]
    assert cache.read_written(db, rest, stop) == 150
    assert all(i in cache for i in ids)
    assert not cache.warming


def test_the_server_checkpoints_the_sqlite_wal_in_the_background(hub: Hub) -> None:
    """A SQLite hub's commits leave their pages in the WAL; a background thread copies them into the database
    file (seen here through an immutable connection, which reads the file and ignores the WAL)."""
    import sqlite3

    db = state_of(hub).db
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    path = db.engine.url.database
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    lst = new_list(hub)
    body = "".join(f'{{"hashes": [{{"hash_type": "md5", "value": "{md5(i)}"}}]}}\n' for i in range(200))
    r = hub.client.post(f"/v1/hash-lists/{lst['id']}/import", content=body.encode(), headers=hub.auth("owner"))
    assert r.json()["created"] == 200

    def in_the_file() -> int:
        file_only = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
        try:
            return int(file_only.execute("SELECT count(*) FROM entries WHERE list_id = ?", (lst["id"],)).fetchone()[0])
        except sqlite3.DatabaseError:  # the file caught mid-copy: try again
            return -1
        finally:
            file_only.close()

    eventually(lambda: in_the_file() == 200)
    frames, done = db.checkpoint_wal() or (0, -1)
    assert done == frames

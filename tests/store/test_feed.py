"""The change feed: dense seq, cursors, and reading from the start reconstructs the list exactly."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharedhash.hub_errors import InvalidCursorError
from sharedhash.store.db import Database
from sharedhash.store.entries import add_entry, list_entries, remove_entry, remove_hash, update_entry
from sharedhash.store.feed import encode_cursor, read_feed
from sharedhash.store.lists import create_list, get_readable_list
from sharedhash.store.validation import validate_hash
from sharedhash.store.visibility import Caller
from tests.support.store import entry, make_org, md5, pdq


def _replay(db: Database, caller: Caller, list_id: int, page: int) -> dict[int, dict[str, Any]]:
    state: dict[int, dict[str, Any]] = {}
    cursor: str | None = None
    seqs: list[int] = []
    while True:
        with db.reading() as s:
            feed = read_feed(s, get_readable_list(s, caller, list_id), cursor, page)
        for change in feed.changes:
            seqs.append(change.seq)
            if change.kind == "tombstone":
                state.pop(change.entry_id)
            else:
                assert change.entry is not None
                state[change.entry_id] = change.entry
        cursor = feed.next_cursor
        if not feed.has_more:
            break
    assert seqs == list(range(1, len(seqs) + 1))
    return state


def _current(db: Database, caller: Caller, list_id: int) -> dict[int, dict[str, Any]]:
    with db.reading() as s:
        return {v.entry.id: v.snapshot() for v in list_entries(s, caller, list_id, limit=10_000)}


operations = st.lists(
    st.tuples(st.sampled_from(["add", "update", "remove", "remove_hash"]), st.integers(0, 7), st.integers(0, 3)),
    min_size=1,
    max_size=25,
)


@pytest.mark.parametrize("page", [1, 3, 1000])
def test_feed_replay_reconstructs_the_list(db: Database, page: int) -> None:
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        lst = create_list(s, owner, "main")

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(ops=operations)
    def run(ops: list[tuple[str, int, int]]) -> None:
        for op, n, k in ops:
            live = sorted(_current(db, owner, lst.id))
            with db.writing() as s:
                if op == "add" or not live:
                    add_entry(s, owner, lst.id, entry(("pdq", pdq(n + 1)), ("md5", md5(n + 1))))
                elif op == "update":
                    update_entry(s, owner, live[n % len(live)], classification=["A1", "A2", "B1", None][k])
                elif op == "remove":
                    remove_entry(s, owner, live[n % len(live)])
                else:
                    target = live[n % len(live)]
                    hashes = _current(db, owner, lst.id)[target]["hashes"]
                    h = hashes[k % len(hashes)]
                    remove_hash(s, owner, target, validate_hash(h["hash_type"], h["value"]))
        assert _replay(db, owner, lst.id, page) == _current(db, owner, lst.id)

    run()


def test_cursors_are_checked(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        a = create_list(s, owner, "a")
        b = create_list(s, owner, "b")
        add_entry(s, owner, a.id, entry(("md5", md5(1))))
    with db.reading() as s:
        la = get_readable_list(s, owner, a.id)
        lb = get_readable_list(s, owner, b.id)
        page = read_feed(s, la, None, 10)
        assert [c.seq for c in page.changes] == [1]
        assert read_feed(s, la, page.next_cursor, 10).changes == []
        for bad in ["garbage!", "djEuMS45OTk", encode_cursor(a.id, 99), page.next_cursor + "x"]:
            with pytest.raises(InvalidCursorError):
                read_feed(s, la, bad, 10)
        with pytest.raises(InvalidCursorError):
            read_feed(s, lb, page.next_cursor, 10)

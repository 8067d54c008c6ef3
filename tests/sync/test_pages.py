"""Feed pages as sync reads them: shape checks, and stopping between prefetched pages without losing any."""

from __future__ import annotations

import hashlib
import json
import threading
from typing import Any

import pytest

from sharedhash.client import Client
from sharedhash.client.errors import UnexpectedResponseError
from sharedhash.store.db import open_database
from sharedhash.sync.mirror import ListReport, parse_feed_page, sync_from
from tests.support.live import Pair


def _page(**changes: Any) -> dict[str, Any]:
    change = {"seq": 1, "kind": "add", "entry_id": 5, "entry": {"hashes": []}, "time": "2026-01-01T00:00:00Z"}
    return {"list_id": 1, "changes": [change | changes], "next_cursor": "abc", "has_more": False, "last_seq": 1}


def test_parse_feed_page_takes_good_pages_and_refuses_bad_ones() -> None:
    page = parse_feed_page(_page())
    assert (page.next_cursor, page.has_more, [(c.seq, c.kind, c.entry_id) for c in page.changes]) == (
        "abc",
        False,
        [(1, "add", 5)],
    )
    assert parse_feed_page(_page(kind="tombstone", entry=None)).changes[0].entry is None
    bad = [
        _page(kind="rename"),
        _page(seq="1"),
        _page(entry_id=True),
        _page(entry=[1]),
        {"changes": []},
        {"changes": [], "next_cursor": 3, "has_more": False},
        {"changes": [1]},
        {"changes": None, "next_cursor": "a", "has_more": True},
    ]
    for data in bad:
        with pytest.raises(UnexpectedResponseError):
            parse_feed_page(data)


def test_a_stopped_sync_resumes_where_it_stopped(pair: Pair) -> None:
    owner = Client(pair.hub.url, pair.hub_keys["owner"])
    shared = owner.create_list("shared", visibility="members")
    body = b"".join(
        json.dumps({"hashes": [{"hash_type": "md5", "value": hashlib.md5(str(i).encode()).hexdigest()}]}).encode()
        + b"\n"
        for i in range(250)
    )
    assert owner.import_entries(shared.id, body).created == 250
    stop = threading.Event()
    seen: list[int] = []

    def on_page(item: ListReport) -> None:
        seen.append(item.added)
        if item.pages == 2:
            stop.set()  # the third page is already being fetched: it must not be applied

    node_db = open_database(pair.node_db_url)
    try:
        first = sync_from(node_db, owner, page_size=40, stop=stop, on_page=on_page)
        assert [r.added for r in first.lists] == [80]
        assert seen == [40, 80]
        rest = sync_from(node_db, owner, page_size=40)
        assert [r.added for r in rest.lists] == [170]
        assert sync_from(node_db, owner).changed == 0
    finally:
        node_db.dispose()
    owner.close()

"""Applying remote feed pages to a mirrored list: order within a page, idempotent replays of a page."""

from __future__ import annotations

from typing import Any

from sharedhash.store.db import Database
from sharedhash.store.entries import list_entries
from sharedhash.store.mirror import RemoteChange, apply_page, mirror_for
from tests.support.store import make_org, md5


def _snap(entry_id: int, *values: str, classification: str | None = None) -> dict[str, Any]:
    return {
        "id": entry_id,
        "hashes": [{"hash_type": "md5", "value": v} for v in values],
        "classification": classification,
        "labels": ["zorblax"],
        "external_id": None,
        "contributor": "quuxvid",
    }


def test_a_page_with_adds_updates_and_tombstones_of_the_same_entries(db: Database) -> None:
    node = make_org(db, "node")
    page = [
        RemoteChange(1, "add", 10, _snap(10, md5(1))),
        RemoteChange(2, "add", 11, _snap(11, md5(2))),
        RemoteChange(3, "update", 10, _snap(10, md5(3), classification="B1")),  # hash md5(1) replaced
        RemoteChange(4, "add", 12, _snap(12, md5(1))),  # the freed hash, now in another entry
        RemoteChange(5, "tombstone", 11, None),
        RemoteChange(6, "add", 13, _snap(13, md5(2))),
    ]
    with db.writing() as s:
        mirror = mirror_for(s, node, "http://hub.test", 7, name="quuxvid/main", pdq_threshold=31)
        outcome = apply_page(s, node, mirror, page, "cursor-6")
    assert (outcome.added, outcome.updated, outcome.removed) == (4, 1, 1)
    with db.reading() as s:
        views = list_entries(s, node, mirror.id)
        got = sorted(([h.value for h in v.hashes], v.entry.classification, v.entry.source_entry_id) for v in views)
    assert got == sorted([([md5(3)], "B1", 10), ([md5(1)], None, 12), ([md5(2)], None, 13)])
    # Replaying the page (a crash after the remote answered, before the commit) changes nothing twice.
    with db.writing() as s:
        again = apply_page(s, node, mirror, page[4:], "cursor-6")
    assert (again.added, again.updated, again.removed) == (0, 1, 0)

"""Access that ends on the hub reaches the node's mirrors (issue 17): the feed answers ``access_lost``, the node
purges the mirror (audited, never a hash), stops matching and deterring with it within one sync interval, and
shows it as ``access_lost``; access that comes back re-syncs. A hub and a node as two real processes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from sqlalchemy import select

from sharedhash.client import Client
from sharedhash.store.db import open_database
from sharedhash.store.models import AuditEvent, Change, EntryHash, HashList
from tests.support.api import md5
from tests.support.live import NODE_INTERVAL, HubAndNode

#: One sync interval, plus the node's subscription poll (1 s) and index follower (0.2 s), plus slack for a
#: loaded machine: a promise kept "within one sync interval" ends well inside this.
WITHIN = NODE_INTERVAL * 2 + 5


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> float:
    """Seconds until ``condition`` held (fails after ``timeout``)."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, what
        time.sleep(0.2)
    return time.monotonic() - start


def by_name(status: dict[str, object]) -> dict[str, dict[str, object]]:
    lists = status["lists"]
    assert isinstance(lists, list)
    return {str(m["name"]): m for m in lists}


def test_revoked_lists_stop_matching_and_deterring_on_the_node(hub_and_node: HubAndNode) -> None:
    owner = Client(hub_and_node.hub.url, hub_and_node.hub_keys["owner"])
    hashes = owner.create_list("hashes", visibility="shared", shares=[("sharee", "read")])
    terms = owner.create_list("terms", visibility="shared", shares=[("sharee", "read")])
    kept = owner.create_list("kept", visibility="members")
    for n in range(10):
        owner.add_entry(hashes.id, [("md5", md5(n))])
    owner.add_entry(kept.id, [("md5", md5(100))])
    owner.add_entry(terms.id, [("term", "term zorblax severity=high category=placeholder")])
    node = hub_and_node.node.client()
    wait_for(lambda: bool(node.lookup([("md5", md5(3))]).matches), WITHIN * 2, "the node never synced the list")
    wait_for(lambda: node.deterrence_check("zorblax").deter, WITHIN, "the node never synced the term list")
    assert {m["status"] for m in by_name(hub_and_node.node.subscription_status()).values()} == {"active"}

    # The owner removes the share of one list and makes the other private.
    owner.update_list(hashes.id, shares=[])
    owner.update_list(terms.id, visibility="private")
    wait_for(lambda: not node.lookup([("md5", md5(3))]).matches, WITHIN, "the node still matches a revoked list")
    wait_for(lambda: not node.deterrence_check("zorblax").deter, WITHIN, "the node still deters with a revoked list")
    assert node.lookup([("md5", md5(100))]).matches, "a list still shared stopped matching"

    status = by_name(hub_and_node.node.subscription_status())
    assert (status["owner/hashes"]["status"], status["owner/hashes"]["reason"]) == ("access_lost", "share_removed")
    assert (status["owner/terms"]["status"], status["owner/terms"]["reason"]) == ("access_lost", "visibility_narrowed")
    assert status["owner/hashes"]["entries"] == 0
    assert (status["owner/kept"]["status"], status["owner/kept"]["entries"]) == ("active", 1)

    # The purge is audited with its count and reason, never a hash; no hash value of the mirror is kept.
    db = open_database(hub_and_node.node.db_url)
    try:
        with db.reading() as s:
            purges = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "mirror.purge")))
            mirror_id = s.scalar(select(HashList.id).where(HashList.name == "owner/hashes"))
            values = set(s.scalars(select(EntryHash.value).where(EntryHash.list_id == mirror_id)))
            snapshots = list(s.scalars(select(Change.entry).where(Change.list_id == mirror_id)))
    finally:
        db.dispose()
    assert sorted((e.target, e.count, e.detail["reason"]) for e in purges) == [
        ("owner/hashes", 10, "share_removed"),
        ("owner/terms", 1, "visibility_narrowed"),
    ]
    text = json.dumps([e.detail for e in purges])
    assert md5(3) not in text
    assert "zorblax" not in text
    assert values == {""}
    assert snapshots
    assert all(snap is None for snap in snapshots)

    # Access that comes back is followed: the list re-syncs from the start.
    owner.update_list(hashes.id, shares=[("sharee", "read")])
    wait_for(lambda: bool(node.lookup([("md5", md5(3))]).matches), WITHIN, "the node did not re-sync a re-shared list")
    status = by_name(hub_and_node.node.subscription_status())
    assert (status["owner/hashes"]["status"], status["owner/hashes"]["entries"]) == ("active", 10)
    for c in (owner, node):
        c.close()

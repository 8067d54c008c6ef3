"""An owner deletes a shared list on the hub: the tombstones reach the sharee's node through the feed, and the
node stops matching the list's hashes (a hub and a node as real servers)."""

from __future__ import annotations

import time

from sharedhash.client import Client
from sharedhash.store.db import open_database
from sharedhash.sync.mirror import sync_from
from tests.support.api import md5
from tests.support.live import Pair, node_client


def test_a_deleted_list_is_tombstoned_on_the_mirrors(pair: Pair) -> None:
    owner = Client(pair.hub.url, pair.hub_keys["owner"])
    sharee_on_hub = Client(pair.hub.url, pair.hub_keys["sharee"])
    shared = owner.create_list("shared", visibility="shared", shares=[("sharee", "read")])
    for n in range(20):
        owner.add_entry(shared.id, [("md5", md5(n))])
    node_db = open_database(pair.node_db_url)
    try:
        assert sync_from(node_db, sharee_on_hub).changed == 20
        node = node_client(pair)
        deadline = time.monotonic() + 5
        while not node.lookup([("md5", md5(7))]).matches:
            assert time.monotonic() < deadline, "the node did not match a synced hash"
            time.sleep(0.1)
        deleted = owner.delete_list(shared.id)
        assert deleted.deleted_at is not None
        (report,) = sync_from(node_db, sharee_on_hub).lists
        assert (report.remote_list_id, report.removed) == (shared.id, 20)
    finally:
        node_db.dispose()
    deadline = time.monotonic() + 5
    while node.lookup([("md5", md5(7))]).matches:
        assert time.monotonic() < deadline, "the node still matches a hash of a deleted list"
        time.sleep(0.1)
    assert sharee_on_hub.lookup([("md5", md5(7))]).matches == []
    for c in (owner, sharee_on_hub, node):
        c.close()

"""A term list synced from a hub to a node: the node's own deterrence check fires, and follows removals."""

from __future__ import annotations

import time

from sharedhash.client import Client
from sharedhash.store.db import open_database
from sharedhash.sync.mirror import sync_from
from tests.support.live import Pair, node_client


def term(rule: str) -> list[tuple[str, str]]:
    """The hashes of an entry holding one rule (the one place that builds them)."""
    return [("term", rule)]


def wait_for(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the node's check did not change in time"
        time.sleep(0.1)


def test_synced_term_list_deters_on_the_node(pair: Pair) -> None:
    owner = Client(pair.hub.url, pair.hub_keys["owner"])
    sharee_on_hub = Client(pair.hub.url, pair.hub_keys["sharee"])
    stranger_on_hub = Client(pair.hub.url, pair.hub_keys["stranger"])
    terms = owner.create_list("terms", visibility="shared", shares=[("sharee", "read")])
    owner.add_entry(terms.id, term("term zorblax severity=high category=placeholder"))
    gone = owner.add_entry(terms.id, term("term 'plimmerbolt 9'"))
    owner.add_entry(terms.id, term('allow "zorblax museum"'))
    wait_for(lambda: sharee_on_hub.deterrence_check("zorbl4x").deter)
    assert stranger_on_hub.deterrence_check("zorbl4x").deter is False
    node_db = open_database(pair.node_db_url)
    try:
        assert sync_from(node_db, sharee_on_hub).changed == 3
        node = node_client(pair)
        # The node's server notices what the sync (another process, in effect) wrote.
        wait_for(lambda: node.deterrence_check("Z o r b l a x").deter)
        assert node.deterrence_check("plimmerbolt 9").deter is True
        assert node.deterrence_check("the zorblax museum").deter is False
        answer = node.deterrence_check("zorblax", locale="en-GB")
        assert answer.message is not None
        assert answer.resources[0].url.startswith(pair.node_url)
        # A removal on the hub reaches the node's check with the next sync.
        owner.remove_entry(gone.id)
        assert sync_from(node_db, sharee_on_hub).changed == 1
        wait_for(lambda: not node.deterrence_check("plimmerbolt 9").deter)
        assert node.deterrence_check("zorblax").deter is True
        node.close()
    finally:
        node_db.dispose()
    for c in (owner, sharee_on_hub, stranger_on_hub):
        c.close()

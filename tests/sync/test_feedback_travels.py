"""Feedback travels both ways between a hub and a node (issue 17): a verdict given on the hub reaches the node
through the feed (a dispute hides the entry for the disputing org there too); a verdict given on the node about a
mirrored entry is queued and sent to the hub, waiting through the hub's downtime. Mirrored entries keep their
source id and creation time, and matches carry the source id. A live hub and node."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select

from sharedhash.client import Client
from sharedhash.store.db import open_database
from sharedhash.store.feedback import source_counts
from sharedhash.store.mirror import add_subscription
from sharedhash.store.models import Entry, FeedbackOutbox
from sharedhash.store.orgs import caller_for_org, get_org_by_name
from sharedhash.store.secretbox import SecretBox
from sharedhash.sync.feedback import send_pending_feedback
from sharedhash.sync.mirror import sync_from
from tests.support.api import md5
from tests.support.live import Pair, node_client, start_server


def test_feedback_travels_both_ways(pair: Pair) -> None:
    owner = Client(pair.hub.url, pair.hub_keys["owner"])
    sharee_on_hub = Client(pair.hub.url, pair.hub_keys["sharee"])
    shared = owner.create_list("shared", visibility="shared", shares=[("sharee", "read")])
    first = owner.add_entry(shared.id, [("md5", md5(1))])
    second = owner.add_entry(shared.id, [("md5", md5(2))])
    # The sharee disputes the first entry on the hub, before its node ever synced.
    sharee_on_hub.give_feedback(first.id, "dispute", "false_positive", "placeholder note")
    node_db = open_database(pair.node_db_url)
    node_settings = pair.node.settings
    try:
        report = sync_from(node_db, sharee_on_hub)
        assert report.lists[0].verdicts == 1
        with node_db.writing() as s:
            org = get_org_by_name(s, "sharee")
            box = SecretBox.from_settings(node_settings)
            add_subscription(s, caller_for_org(org), pair.hub.url, pair.hub_keys["sharee"], 3600, box=box)
            local = {e.source_entry_id: e for e in s.scalars(select(Entry).where(Entry.source_entry_id.is_not(None)))}
            # Mirrored entries keep their source id and their creation time there.
            assert local[first.id].created_at == first.created_at
            assert local[second.id].created_at == second.created_at
            counts = source_counts(s, [local[first.id].id])
            assert counts == {local[first.id].id: {"confirm": 0, "dispute": 1}}
            local_first, local_second = local[first.id].id, local[second.id].id
        node = node_client(pair)
        # The dispute given on the hub hides the entry for the org on its node too; matches carry the source id.
        deadline = time.monotonic() + 10
        while True:
            matches = node.lookup([("md5", md5(1)), ("md5", md5(2))]).matches
            if [m.entry_id for m in matches] == [local_second]:
                break
            assert time.monotonic() < deadline, f"the node still shows a disputed entry: {matches}"
            time.sleep(0.1)
        assert matches[0].source_entry_id == second.id

        # A dispute given on the node about a mirrored entry is queued while the hub is down, then sent.
        port = urlsplit(pair.hub.url).port
        assert port is not None
        pair.hub.stop()
        node.give_feedback(local_second, "dispute", "not_illegal", "placeholder")
        assert send_pending_feedback(node_db, settings=node_settings).waiting == 1
        with node_db.reading() as s:
            (queued,) = s.scalars(select(FeedbackOutbox))
            assert (queued.state, queued.source_entry_id, queued.verdict) == ("pending", second.id, "dispute")
            assert queued.attempts >= 1
            assert queued.last_error is not None
            assert queued.last_error.startswith("hub_unreachable")
        pair.hub = start_server(pair.hub.settings, port)
        deadline = time.monotonic() + 20
        while True:
            send_pending_feedback(node_db, settings=node_settings)  # the node's own loop may send it first
            with node_db.reading() as s:
                states = list(s.scalars(select(FeedbackOutbox.state)))
            if states == ["sent"]:
                break
            assert time.monotonic() < deadline, f"the queued verdict was not sent: {states}"
            time.sleep(0.5)
        # The hub has the sharee's dispute: counted for the owner, and hidden from the sharee's lookups there.
        assert owner.get_entry(second.id).feedback is not None
        assert owner.get_entry(second.id).feedback.dispute == 1  # type: ignore[union-attr]
        assert sharee_on_hub.lookup([("md5", md5(2))]).matches == []
        # Sending again changes nothing (the verdict is sent; a PUT is idempotent anyway).
        assert send_pending_feedback(node_db, settings=node_settings).sent == 0

        # Withdrawn on the hub: the next sync shows the entry to the org on its node again.
        sharee_on_hub.withdraw_feedback(first.id)
        # One verdict change reaches the node: through this sync, or through the node's own subscription loop if it
        # ran first (after the hub was down it retries soon, not after its hour).
        assert sync_from(node_db, sharee_on_hub).lists[0].verdicts in (0, 1)
        deadline = time.monotonic() + 10
        while local_first not in [m.entry_id for m in node.lookup([("md5", md5(1))]).matches]:
            assert time.monotonic() < deadline, "a withdrawn dispute still hides the entry on the node"
            time.sleep(0.1)
        # The node's own dispute, sent and now on the hub, stays.
        assert node.lookup([("md5", md5(2))]).matches == []
        node.close()
    finally:
        node_db.dispose()
    with httpx.Client() as probe:
        assert probe.get(f"{pair.hub.url}/readyz").status_code == 200
    for c in (owner, sharee_on_hub):
        c.close()

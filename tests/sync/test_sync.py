"""Sync between two live servers on loopback: identical lists, incremental, idempotent, visible to lookups."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from sharedhash.client import Client
from sharedhash.hub_errors import ReadOnlyListError
from sharedhash.store.db import open_database
from sharedhash.sync.mirror import sync_from
from tests.support.live import Pair, node_client, normalised


def md5(n: int) -> str:
    return hashlib.md5(str(n).encode()).hexdigest()


def pdq(n: int) -> str:
    return hashlib.sha256(f"pdq-{n}".encode()).hexdigest()


def test_hub_and_node_end_identical_through_changes(pair: Pair) -> None:
    owner = Client(pair.hub.url, pair.hub_keys["owner"])
    sharee_on_hub = Client(pair.hub.url, pair.hub_keys["sharee"])
    shared = owner.create_list(
        "shared", visibility="shared", shares=[("sharee", "read")], pdq_threshold=20, video_listed_percent=70
    )
    members = owner.create_list("everyone", visibility="members")
    private = owner.create_list("private")
    body = b"".join(
        json.dumps(
            {
                "hashes": [{"hash_type": "md5", "value": md5(i)}, {"hash_type": "pdq", "value": pdq(i), "quality": 80}],
                "classification": "A1",
                "labels": ["quuxvid"],
            }
        ).encode()
        + b"\n"
        for i in range(300)
    )
    assert owner.import_entries(shared.id, body).created == 300
    owner.add_entry(members.id, [("md5", md5(1000))], classification="B2")
    owner.add_entry(private.id, [("md5", md5(2000))])
    node_db = open_database(pair.node_db_url)
    try:
        first = sync_from(node_db, sharee_on_hub, page_size=64)
        assert sorted(r.name for r in first.lists) == ["owner/everyone", "owner/shared"]
        assert first.changed == 301
        # Changes on the hub: updates, single-hash removals, tombstones, new entries; then an incremental sync.
        entries = list(owner.iter_entries(shared.id))
        owner.update_entry(entries[0].id, classification="B1", labels=["plimmerbolt 9"])
        owner.remove_hash(entries[1].id, "md5", md5(1))
        for e in entries[2:12]:
            owner.remove_entry(e.id)
        owner.add_entry(shared.id, [("md5", md5(5000))], external_id="zorblax-1")
        again = sync_from(node_db, sharee_on_hub, page_size=64)
        assert again.changed == 1 + 1 + 10 + 1
        assert sync_from(node_db, sharee_on_hub).changed == 0
    finally:
        node_db.dispose()

    node = node_client(pair)
    mirrors = {lst.name: lst for lst in node.lists()}
    assert set(mirrors) == {"owner/shared", "owner/everyone"}
    assert mirrors["owner/shared"].mirror_of == pair.hub.url
    assert mirrors["owner/shared"].pdq_threshold == 20
    assert mirrors["owner/shared"].video_listed_percent == 70
    for remote, local in ((shared, mirrors["owner/shared"]), (members, mirrors["owner/everyone"])):
        assert normalised(list(owner.export(remote.id))) == normalised(list(node.export(local.id)))
    # Mirrors are read-only.
    with pytest.raises(ReadOnlyListError):
        node.add_entry(mirrors["owner/shared"].id, [("md5", md5(9999))])
    # The node's server picks up what the sync (outside its request path) wrote, within seconds.
    deadline = time.monotonic() + 5
    while not node.lookup([("md5", md5(5000))]).matches:
        assert time.monotonic() < deadline, "the node did not match a synced hash within 5 s"
        time.sleep(0.1)
    assert node.lookup([("md5", md5(3))]).matches == []  # tombstoned on the hub
    assert [m.distance for m in node.lookup([("pdq", pdq(200))]).matches] == [0]
    for c in (owner, sharee_on_hub, node):
        c.close()


def test_subscription_runs_on_the_node(pair: Pair, tmp_path: Path) -> None:
    owner = Client(pair.hub.url, pair.hub_keys["owner"])
    shared = owner.create_list("shared", visibility="shared", shares=[("sharee", "read")])
    owner.add_entry(shared.id, [("md5", md5(1))])
    node_db = open_database(pair.node_db_url)
    try:
        from sharedhash.settings import Settings
        from sharedhash.store.mirror import add_subscription
        from sharedhash.store.models import Subscription
        from sharedhash.store.secretbox import SecretBox
        from sharedhash.sync.mirror import local_caller
        from sharedhash.sync.scheduler import run_due_subscriptions

        settings = Settings(data_dir=tmp_path / "node-secrets")
        caller = local_caller(node_db, "sharee")
        with node_db.writing() as s:
            add_subscription(s, caller, pair.hub.url, pair.hub_keys["sharee"], 5, box=SecretBox.from_settings(settings))
        with node_db.reading() as s:
            stored = s.scalars(select(Subscription.api_key)).one()
        assert pair.hub_keys["sharee"] not in stored
        assert stored.startswith("enc1:")
        assert run_due_subscriptions(node_db, settings=settings) == 1
        assert run_due_subscriptions(node_db, settings=settings) == 0  # not due again yet

        def make_due() -> None:  # as if the interval (at least 5 s) had passed
            with node_db.writing() as s:
                s.scalars(select(Subscription)).one().last_run_at = None

        owner.add_entry(shared.id, [("md5", md5(2))])
        make_due()
        assert run_due_subscriptions(node_db, settings=settings) == 1
        # A key stored in plaintext (before encryption at rest) still works, and is sealed once used.
        with node_db.writing() as s:
            s.scalars(select(Subscription)).one().api_key = pair.hub_keys["sharee"]
        owner.add_entry(shared.id, [("md5", md5(4))])
        make_due()
        assert run_due_subscriptions(node_db, settings=settings) == 1
        with node_db.reading() as s:
            assert s.scalars(select(Subscription.api_key)).one().startswith("enc1:")
        # Another secret key cannot open the stored API key: the run fails with a clear, recorded error.
        owner.add_entry(shared.id, [("md5", md5(3))])
        make_due()
        assert run_due_subscriptions(node_db, settings=Settings(data_dir=tmp_path / "other")) == 0
        with node_db.reading() as s:
            assert (s.scalars(select(Subscription.last_error)).one() or "").startswith("secret_key_error:")
    finally:
        node_db.dispose()
    owner.close()

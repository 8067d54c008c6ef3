"""A video entry (vpdq) on the hub: its feed carries the canonical value unchanged, sync mirrors it to a node, and
the node matches a video file and a frame image against it."""

from __future__ import annotations

import time
from pathlib import Path

from sharedhash.client import Client
from sharedhash.hashing.video import hash_video
from sharedhash.hashing.vpdq import parse
from sharedhash.store.db import open_database
from sharedhash.sync.mirror import sync_from
from tests.support.live import Pair, node_client, normalised
from tests.support.video_clips import write_clip


def test_video_entry_feeds_syncs_and_matches_on_the_node(pair: Pair, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", frames=40, fps=10, width=160, height=120, seed=6)
    value = hash_video(clip, digests=()).vpdq.serialise()
    owner = Client(pair.hub.url, pair.hub_keys["owner"])
    sharee_on_hub = Client(pair.hub.url, pair.hub_keys["sharee"])
    shared = owner.create_list("videos", visibility="shared", shares=[("sharee", "read")])
    added = owner.add_entry(shared.id, [("vpdq", value)], classification="A1", labels=["zorblax"])
    feed = owner.feed_json(shared.id)
    [change] = feed["changes"]
    assert [(h["hash_type"], h["value"]) for h in change["entry"]["hashes"]] == [("vpdq", value)]
    node_db = open_database(pair.node_db_url)
    try:
        assert sync_from(node_db, sharee_on_hub).changed == 1
    finally:
        node_db.dispose()
    node = node_client(pair)
    [mirror] = [lst for lst in node.lists() if lst.name == "owner/videos"]
    assert normalised(list(owner.export(shared.id))) == normalised(list(node.export(mirror.id)))
    deadline = time.monotonic() + 5
    while not node.lookup([("vpdq", value)]).matches:
        assert time.monotonic() < deadline, "the node did not match the synced video within 5 s"
        time.sleep(0.1)
    [match] = node.lookup([("vpdq", value)]).matches
    assert (match.listed_percent, match.query_percent, match.classification) == (100.0, 100.0, "A1")
    by_file = node.lookup_file(clip)
    assert [m.listed_percent for m in by_file.matches if m.hash_type == "vpdq"] == [100.0]
    [frame_match] = node.lookup([("pdq", parse(value).frames[1].pdq)]).matches
    assert frame_match.matched_hash_type == "vpdq"
    assert frame_match.listed_seconds is not None
    assert frame_match.listed_seconds[0].start <= 1.0
    assert added.id == owner.lookup([("vpdq", value)]).matches[0].entry_id
    for c in (owner, sharee_on_hub, node):
        c.close()

"""Region hashes (pdqr) travel through the feed and sync like any hash, and a node matches a padded copy by them."""

from __future__ import annotations

import time
from pathlib import Path

from PIL import Image

from sharedhash.client import Client
from sharedhash.hashing import hash_media
from sharedhash.hashing.samples import make_sample
from sharedhash.store.db import open_database
from sharedhash.sync.mirror import sync_from
from tests.support.live import Pair, node_client, normalised


def test_region_values_sync_and_match_a_padded_copy_on_the_node(pair: Pair, tmp_path: Path) -> None:
    picture = make_sample("texture", 480, 360, seed=31)
    picture.save(tmp_path / "listed.jpg", quality=92)
    padded = Image.new("RGB", (640, 360), (20, 20, 20))
    padded.paste(picture, (80, 0))
    padded.save(tmp_path / "padded.jpg", quality=92)
    media = hash_media(tmp_path / "listed.jpg", ("pdq", "pdqr"))
    hashes = [("pdq", media.hashes["pdq"]), *(("pdqr", v) for v in media.pdqr_values)]
    owner = Client(pair.hub.url, pair.hub_keys["owner"])
    sharee_on_hub = Client(pair.hub.url, pair.hub_keys["sharee"])
    shared = owner.create_list("pictures", visibility="shared", shares=[("sharee", "read")])
    owner.add_entry(shared.id, hashes, classification="A1")
    node_db = open_database(pair.node_db_url)
    try:
        assert sync_from(node_db, sharee_on_hub).changed == 1
    finally:
        node_db.dispose()
    node = node_client(pair)
    [mirror] = [lst for lst in node.lists() if lst.name == "owner/pictures"]
    assert normalised(list(owner.export(shared.id))) == normalised(list(node.export(mirror.id)))
    deadline = time.monotonic() + 5
    while not node.lookup([("pdq", media.hashes["pdq"])]).matches:
        assert time.monotonic() < deadline, "the node did not index the synced entry within 5 s"
        time.sleep(0.1)
    found = node.lookup_file(tmp_path / "padded.jpg").matches
    assert [(m.hash_type, m.classification) for m in found] == [("pdqr", "A1")]
    assert found[0].evidence is not None
    assert found[0].evidence.endswith("border trimmed")
    for c in (owner, sharee_on_hub, node):
        c.close()

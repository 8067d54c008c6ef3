"""kill -9 during ``sharedhash sync`` (a real subprocess), again and again: no entry lost or duplicated."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from sharedhash.client import Client
from sharedhash.store.bulk import iter_snapshots
from sharedhash.store.db import open_database
from sharedhash.store.models import Change, Entry, HashList
from tests.support.live import Pair, normalised


def md5(n: int) -> str:
    return hashlib.md5(str(n).encode()).hexdigest()


def _sync_command(pair: Pair, tmp: Path) -> tuple[list[str], dict[str, str]]:
    exe = Path(sys.executable).parent / "sharedhash"
    cmd = [
        str(exe),
        "sync",
        "--from",
        pair.hub.url,
        "--api-key",
        pair.hub_keys["sharee"],
        "--page-size",
        "20",
        "--json",
    ]
    env = os.environ | {"SHAREDHASH_DATABASE_URL": pair.node_db_url, "SHAREDHASH_DATA_DIR": str(tmp)}
    return cmd, env


def _node_state(url: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    db = open_database(url)
    try:
        with db.reading() as s:
            mirror = s.scalar(select(HashList).where(HashList.source_url.is_not(None), HashList.name == "owner/shared"))
            assert mirror is not None
            snaps = list(iter_snapshots(s, mirror.id))
            seqs = list(s.scalars(select(Change.seq).where(Change.list_id == mirror.id).order_by(Change.seq)))
            per_source = s.execute(
                select(Entry.source_entry_id, func.count())
                .where(Entry.list_id == mirror.id)
                .group_by(Entry.source_entry_id)
            ).all()
            facts = {
                "seqs": seqs,
                "last_seq": mirror.last_seq,
                "max_per_source": max((n for _, n in per_source), default=0),
            }
    finally:
        db.dispose()
    return snaps, facts


def test_sync_survives_kill_9_at_any_point(pair: Pair, tmp_path: Path) -> None:
    owner = Client(pair.hub.url, pair.hub_keys["owner"])
    shared = owner.create_list("shared", visibility="shared", shares=[("sharee", "read")])
    body = b"".join(
        json.dumps({"hashes": [{"hash_type": "md5", "value": md5(i)}], "labels": ["zorblax"]}).encode() + b"\n"
        for i in range(1500)
    )
    assert owner.import_entries(shared.id, body).created == 1500
    cmd, env = _sync_command(pair, tmp_path)
    rng = random.Random(7)
    kills = 0
    next_entry = 10_000
    for _round in range(6):
        with subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as proc:
            time.sleep(rng.uniform(0.8, 2.5))
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            proc.wait(timeout=30)
        # The hub keeps changing between crashes: adds, updates and removals.
        entries = list(owner.entries(shared.id, after=rng.randint(0, 1400), limit=5).entries)
        for e in entries[:2]:
            owner.remove_entry(e.id)
        if entries[2:]:
            owner.update_entry(entries[2].id, classification="A2")
        owner.add_entry(shared.id, [("md5", md5(next_entry))])
        next_entry += 1
    finished = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr
    assert kills >= 3, "the sync finished too fast to be killed; raise the data size"
    snaps, facts = _node_state(pair.node_db_url)
    assert normalised([json.dumps(s) for s in snaps]) == normalised(list(owner.export(shared.id)))
    assert facts["max_per_source"] == 1
    assert facts["seqs"] == list(range(1, facts["last_seq"] + 1))
    owner.close()

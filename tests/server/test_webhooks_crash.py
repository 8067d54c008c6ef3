"""``kill -9`` of the hub process in the middle of delivering 1,000 events: after a restart, every event is
delivered (0 lost), a duplicate only ever repeats an event with its own ``webhook-id``, and the order per content
item (ordering key) holds. The receiver is real and verifies every signature with the standardwebhooks library."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from cryptography.fernet import Fernet

from sharedhash.server.webhooks.signing import new_secret
from sharedhash.store.db import open_database
from sharedhash.store.outbox import create_endpoint
from sharedhash.store.secretbox import SecretBox
from tests.support.live import free_port
from tests.support.store import make_org
from tests.support.webhooks import Receiver, states, wait_for, write_events

EVENTS = 1000
KEYS = 100


def _serve(database_url: str, data_dir: Path, secret_key: bytes, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SHAREDHASH_DATABASE_URL": database_url,
        "SHAREDHASH_DATA_DIR": str(data_dir),
        "SHAREDHASH_SECRET_KEY": secret_key.decode(),
        "SHAREDHASH_WEBHOOK_ALLOW_LOOPBACK": "true",
        "SHAREDHASH_WEBHOOK_CONCURRENCY": "8",
        "SHAREDHASH_WEBHOOK_LEASE_SECONDS": "3",
        "SHAREDHASH_WEBHOOK_CONNECT_TIMEOUT": "0.2",
        "SHAREDHASH_WEBHOOK_READ_TIMEOUT": "0.5",
        "SHAREDHASH_WEBHOOK_POLL_SECONDS": "0.05",
        "SHAREDHASH_WEBHOOK_RETRY_BASE_SECONDS": "0.1",
    }
    command = [sys.executable, "-c", "from sharedhash.cli.app import main; main()", "serve", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603


def test_kill_9_during_delivery_loses_nothing(database_url: str, tmp_path: Path) -> None:
    key = Fernet.generate_key()
    secret = new_secret()
    db = open_database(database_url)
    receiver = Receiver(secrets=[secret], behaviour=lambda _, __: (200, 0.01, b"ok")).start()
    server: subprocess.Popen[bytes] | None = None
    try:
        caller = make_org(db, "quuxvid")
        with db.writing() as s:
            sealed = SecretBox(key).seal(secret)
            create_endpoint(s, org_id=caller.org_id, name="blocks", url=receiver.url, sealed_secret=sealed)
        work = [(f"content-{i % KEYS}", {"n": i, "content_id": f"content-{i % KEYS}"}) for i in range(EVENTS)]
        ids = write_events(db, "quuxvid", "blocks", work)
        server = _serve(database_url, tmp_path / "data", key, free_port())
        wait_for(lambda: len(receiver.delivered_ids()) >= 300, timeout=60, what="deliveries to start")
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        at_kill = len(receiver.delivered_ids())
        assert at_kill < EVENTS, "the kill came after the last delivery: nothing was tested"
        assert 0 < states(db)["pending"]
        time.sleep(0.2)
        server = _serve(database_url, tmp_path / "data", key, free_port())
        wait_for(lambda: states(db)["pending"] == 0, timeout=120, what="every event delivered after the restart")
        assert states(db) == {"delivered": EVENTS}
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        receiver.stop()
        db.dispose()

    delivered = receiver.delivered_ids()
    assert set(delivered) == set(ids)  # 0 lost
    assert all(r.verified_by == (True,) for r in receiver.received)
    bodies: dict[str, set[bytes]] = defaultdict(set)
    for r in receiver.received:
        bodies[r.webhook_id].add(r.body)
    assert all(len(b) == 1 for b in bodies.values())  # a duplicate is the same event under the same webhook-id
    first_seen: dict[str, list[str]] = defaultdict(list)
    key_of = dict(zip(ids, (k for k, _ in work), strict=True))
    seen: set[str] = set()
    for wid in delivered:
        if wid not in seen:
            seen.add(wid)
            first_seen[key_of[wid]].append(wid)
    expected: dict[str, list[str]] = defaultdict(list)
    for wid, (k, _) in zip(ids, work, strict=True):
        expected[k].append(wid)
    assert first_seen == expected  # order per content item
    duplicates = len(delivered) - EVENTS
    print(f"delivered before the kill: {at_kill}; requests in all: {len(delivered)} ({duplicates} duplicates)")

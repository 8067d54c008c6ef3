"""Benchmark webhook delivery from the outbox to a local receiver (issue 12): events per second, and the drain of
the backlog a receiver outage leaves, in order and with nothing lost.

    python bench/webhooks.py                                   # SQLite, 20,000 events, a 10-minute outage
    python bench/webhooks.py --backend postgres --events 20000

The receiver is a separate process (uvicorn, one request per event) that verifies every signature with the
standardwebhooks library and logs each webhook-id it accepts, in arrival order. The worker is the hub's own
`DeliveryWorker` (the thread the server runs), on a fresh database; events are written with
`store.outbox.add_event`, as the act service writes them.

Outage: the issue's scenario is a 10-minute receiver outage. At a realistic rate of --rate events/s (default 50:
a large platform's block and review events), that is rate x 600 events. They are written while the receiver is
down and the worker keeps trying (connections refused, back-off). The back-off schedule is scaled down with the
outage (--scale, default 60: a 10-minute outage lasts 10 s, the first retry comes after 5/60 s instead of 5 s),
so the run takes seconds while every event meets the refusals and back-off it would meet in real time. Then the
receiver comes back and the drain is timed until the last event is delivered; the order per content item and the
set of delivered webhook-ids are checked against the outbox. The reference is the issue's target (2,000 events/s);
there is no other implementation to run beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

TARGET_EVENTS_PER_S = 2000
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the receiver process ---------------------------------------------------------------------------------------


def serve_receiver(port: int, log_path: str, secret: str) -> None:
    """Run the receiver until SIGINT/SIGTERM, then write the accepted webhook-ids (arrival order) to ``log_path``."""
    import uvicorn
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    hook = Webhook(secret)
    accepted: list[str] = []
    bad = [0]

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        try:
            hook.verify(body, headers)
        except WebhookVerificationError:
            bad[0] += 1
            await send({"type": "http.response.start", "status": 400, "headers": []})
            await send({"type": "http.response.body", "body": b"bad signature"})
            return
        accepted.append(headers["webhook-id"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", lifespan="off", access_log=False, backlog=4096
    )
    try:
        uvicorn.Server(config).run()
    finally:
        Path(log_path).write_text(json.dumps({"accepted": accepted, "bad_signatures": bad[0]}))


class Receiver:
    """The receiver process: start, stop (its log is read back), start again on the same port."""

    def __init__(self, secret: str, workdir: Path) -> None:
        self.secret = secret
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.workdir = workdir
        self.runs = 0
        self.proc: subprocess.Popen[bytes] | None = None
        self.accepted: list[str] = []
        self.bad_signatures = 0

    def start(self) -> None:
        self.runs += 1
        self.log = self.workdir / f"receiver-{self.runs}.json"
        args = [sys.executable, __file__, "--serve-receiver", str(self.port), str(self.log), self.secret]
        self.proc = subprocess.Popen(args)  # noqa: S603
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the receiver did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=60)
        self.proc = None
        found = json.loads(self.log.read_text())
        self.accepted += found["accepted"]
        self.bad_signatures += found["bad_signatures"]


# -- the run ----------------------------------------------------------------------------------------------------


def _settings(data_dir: Path, url: str, **overrides: Any) -> Any:
    from sharedhash.settings import Settings

    return Settings(
        data_dir=data_dir,
        database_url=url,
        webhook_allow_loopback=True,
        webhook_poll_seconds=0.05,
        **overrides,
    )


def _fresh_database(backend: str, workdir: Path, pg_url: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}"
    import psycopg

    name = f"bench_webhooks_{os.getpid()}"
    admin = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    return pg_url.rsplit("/", 1)[0] + f"/{name}"


def _write(db: Any, org_id: int, endpoint_id: int, n: int, start: int, per_key: int) -> None:
    """``n`` events, ``per_key`` per content item (ordering key), in transactions of 1,000 (as checks commit)."""
    from sharedhash.store.outbox import add_event

    done = 0
    while done < n:
        with db.writing() as s:
            for i in range(start + done, start + min(n, done + 1000)):
                key = f"content-{i // per_key}"
                payload = {"content_id": key, "n": i, "list_id": 7, "classification": "A1", "distance": 0}
                add_event(
                    s,
                    org_id=org_id,
                    endpoint_id=endpoint_id,
                    event_type="match.block",
                    ordering_key=key,
                    payload=payload,
                )
        done = min(n, done + 1000)


def _pending(db: Any) -> int:
    from sharedhash.store.outbox import outbox_depth

    with db.reading() as s:
        return outbox_depth(s).pending


def _check(db: Any, accepted: list[str]) -> dict[str, Any]:
    """Lost events, duplicates, and whether each key's first receipts follow the outbox order."""
    from sqlalchemy import select

    from sharedhash.store.models import OutboxEvent

    with db.reading() as s:
        rows = s.execute(select(OutboxEvent.webhook_id, OutboxEvent.ordering_key).order_by(OutboxEvent.id)).all()
    expected: dict[str, list[str]] = defaultdict(list)
    key_of = {}
    for wid, key in rows:
        expected[key].append(wid)
        key_of[wid] = key
    seen: set[str] = set()
    got: dict[str, list[str]] = defaultdict(list)
    for wid in accepted:
        if wid not in seen:
            seen.add(wid)
            got[key_of[wid]].append(wid)
    return {
        "outbox_events": len(rows),
        "lost": len(key_of) - len(seen),
        "duplicates": len(accepted) - len(seen),
        "in_order": all(got[k] == v for k, v in expected.items()),
    }


def run(backend: str, events: int, rate: float, scale: float, per_key: int, pg_url: str) -> list[dict[str, Any]]:
    from cryptography.fernet import Fernet

    from sharedhash.server.webhooks.signing import new_secret
    from sharedhash.server.webhooks.worker import DeliveryWorker
    from sharedhash.store.db import open_database
    from sharedhash.store.orgs import create_org
    from sharedhash.store.outbox import create_endpoint
    from sharedhash.store.secretbox import SecretBox

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-webhooks-") as tmp:
        workdir = Path(tmp)
        url = _fresh_database(backend, workdir, pg_url)
        db = open_database(url)
        box = SecretBox(Fernet.generate_key())
        secret = new_secret()
        receiver = Receiver(secret, workdir)
        with db.writing() as s:
            org = create_org(s, "quuxvid")
            endpoint = create_endpoint(
                s, org_id=org.id, name="blocks", url=receiver.url, sealed_secret=box.seal(secret)
            )
            org_id, endpoint_id = org.id, endpoint.id

        # 1. Throughput: a backlog of `events`, the receiver up, the worker started; until the outbox is empty.
        _write(db, org_id, endpoint_id, events, 0, per_key)
        receiver.start()
        stop = threading.Event()
        worker = DeliveryWorker(db, _settings(workdir, url), stop, box=box)
        thread = threading.Thread(target=worker.run, daemon=True)
        began = time.perf_counter()
        cpu = time.process_time()
        thread.start()
        while _pending(db):
            time.sleep(0.05)
        elapsed = time.perf_counter() - began
        cpu = time.process_time() - cpu
        stop.set()
        thread.join()
        rows.append(
            {
                "backend": backend,
                "run": f"throughput ({events:,} events, {per_key}/key)",
                "events": events,
                "seconds": elapsed,
                "events_per_s": events / elapsed,
                "cpu_ms_per_event": cpu / events * 1000,
                "load": os.getloadavg()[0],
            }
        )

        # 2. Outage: the receiver refuses while rate x 600 events arrive over the (scaled) 10 minutes.
        receiver.stop()
        backlog = int(rate * 600)
        outage_s = 600 / scale
        retries = {
            "webhook_retry_base_seconds": 5.0 / scale,
            "webhook_retry_max_seconds": 3600.0 / scale,
            "webhook_retry_total_seconds": 24 * 3600.0 / scale,
        }
        stop = threading.Event()
        worker = DeliveryWorker(db, _settings(workdir, url, **retries), stop, box=box)
        thread = threading.Thread(target=worker.run, daemon=True)
        thread.start()
        start_outage = time.perf_counter()
        steps = 50
        for step in range(steps):
            _write(db, org_id, endpoint_id, backlog // steps, events + step * (backlog // steps), per_key)
            time.sleep(max(0.0, start_outage + (step + 1) * outage_s / steps - time.perf_counter()))
        refused = worker.stats.failed
        receiver.start()
        back = time.perf_counter()
        drain_cpu = time.process_time()
        while _pending(db):
            time.sleep(0.05)
        drained = time.perf_counter() - back
        drain_cpu = time.process_time() - drain_cpu
        stop.set()
        thread.join()
        receiver.stop()
        check = _check(db, receiver.accepted)
        written = backlog // steps * steps
        rows.append(
            {
                "backend": backend,
                "run": f"outage: {written:,} events ({rate:g}/s x 10 min), drain",
                "events": written,
                "seconds": drained,
                "events_per_s": written / drained,
                "cpu_ms_per_event": drain_cpu / written * 1000,
                "load": os.getloadavg()[0],
                "refused_attempts": refused,
                **check,
                "bad_signatures": receiver.bad_signatures,
            }
        )
        db.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=50.0, help="Realistic events/s during the outage.")
    parser.add_argument("--scale", type=float, default=60.0, help="Outage and back-off time divided by this.")
    parser.add_argument("--per-key", type=int, default=2, help="Events per content item (ordering key).")
    parser.add_argument("--postgres-url", default=os.environ.get("SHAREDHASH_TEST_POSTGRES_URL", PG_DEFAULT))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--serve-receiver", nargs=3, metavar=("PORT", "LOG", "SECRET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_receiver:
        port, log, secret = args.serve_receiver
        serve_receiver(int(port), log, secret)
        return
    random.seed(1)
    rows = []
    for backend in args.backend or ["sqlite"]:
        rows += run(backend, args.events, args.rate, args.scale, args.per_key, args.postgres_url)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(
        f"| backend | run | events | seconds | events/s | vs target {TARGET_EVENTS_PER_S:,}/s | CPU ms/event "
        "| events/CPU-s | load avg | lost | in order |"
    )
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        ratio = r["events_per_s"] / TARGET_EVENTS_PER_S
        lost = r.get("lost", "")
        order = r.get("in_order", "")
        print(
            f"| {r['backend']} | {r['run']} | {r['events']:,} | {r['seconds']:.2f} | {r['events_per_s']:,.0f} | "
            f"{ratio:.2f}x | {r['cpu_ms_per_event']:.2f} | {1000 / r['cpu_ms_per_event']:,.0f} | {r['load']:.1f} | "
            f"{lost} | {order} |"
        )
    for r in rows:
        if "refused_attempts" in r:
            print(
                f"\n{r['backend']} outage: {r['refused_attempts']:,} refused attempts during the outage; "
                f"{r['duplicates']} duplicate deliveries; {r['bad_signatures']} bad signatures; "
                f"{r['outbox_events']:,} events in the outbox in all"
            )


if __name__ == "__main__":
    main()

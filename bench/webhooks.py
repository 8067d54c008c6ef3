"""Benchmark webhook delivery from the outbox to a local receiver (issue 12): events per second, and the drain of
the backlog a receiver outage leaves, in order and with nothing lost.

    python bench/webhooks.py                                   # SQLite, 20,000 events, a 10-minute outage
    python bench/webhooks.py --backend postgres --events 20000
    python bench/webhooks.py --backend postgres --scale 1 --outage-seconds 600   # a real 10-minute outage

The receiver is --receivers separate processes (default 2; aiohttp.web on uvloop sharing one port, one request
per event) that verify every signature with the standardwebhooks library and log each webhook-id they accept with
its arrival time (merged in arrival order). Its ceiling is measured in the same run: bare clients (aiohttp and
httpx, --bare requests each, 64 keep-alive connections, no database) post signed events to it before the worker
runs; their rows are the reference beside the worker's. The worker is the hub's own
`DeliveryWorker` (the thread the server runs), on a fresh database; events are written with
`store.outbox.add_event`, as the act service writes them.

Outage: the issue's scenario is a 10-minute receiver outage. At a realistic rate of --rate events/s (default 50:
a large platform's block and review events), that is rate x 600 events. They are written while the receiver is
down and the worker keeps trying (connections refused, back-off). The back-off schedule is scaled down with the
outage (--scale, default 60: a 10-minute outage lasts 10 s, the first retry comes after 5/60 s instead of 5 s),
so the run takes seconds while every event meets the refusals and back-off it would meet in real time. Then the
receiver comes back and the drain is timed until the last event is delivered; the order per content item and the
set of delivered webhook-ids are checked against the outbox. The target is the issue's 2,000 events/s.
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
    """Run one receiver process until SIGINT/SIGTERM, then write the webhook-ids it accepted, each with its arrival
    time (``time.monotonic_ns``: one clock for every process of the machine), to ``log_path``.

    aiohttp.web on uvloop, the port shared with the other receiver processes (``SO_REUSEPORT``: the kernel spreads
    the connections); every request's signature is verified with the standardwebhooks library."""
    import asyncio

    import uvloop
    from aiohttp import web
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    hook = Webhook(secret)
    accepted: list[tuple[int, str]] = []
    bad = [0]

    async def receive(request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            hook.verify(body, headers)
        except WebhookVerificationError:
            bad[0] += 1
            return web.Response(status=400, text="bad signature")
        accepted.append((time.monotonic_ns(), headers["webhook-id"]))
        return web.Response(status=204)

    async def serve() -> None:
        app = web.Application()
        app.router.add_post("/hook", receive)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", port, backlog=4096, reuse_port=True)
        await site.start()
        done = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, done.set)
        await done.wait()
        await runner.cleanup()

    try:
        uvloop.run(serve())
    finally:
        Path(log_path).write_text(json.dumps({"accepted": accepted, "bad_signatures": bad[0]}))


class Receiver:
    """The receiver: ``processes`` processes on one port; start, stop (their logs are read back and merged in
    arrival order), start again on the same port."""

    def __init__(self, secret: str, workdir: Path, processes: int = 2) -> None:
        self.secret = secret
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.workdir = workdir
        self.processes = processes
        self.runs = 0
        self.procs: list[tuple[subprocess.Popen[bytes], Path]] = []
        self.accepted: list[str] = []
        #: When (``time.monotonic_ns``) each accepted webhook-id arrived, in arrival order (``accepted``'s times).
        self.arrived_ns: list[int] = []
        self.bad_signatures = 0

    def start(self) -> None:
        for _ in range(self.processes):
            self.runs += 1
            log = self.workdir / f"receiver-{self.runs}.json"
            args = [sys.executable, __file__, "--serve-receiver", str(self.port), str(log), self.secret]
            self.procs.append((subprocess.Popen(args), log))  # noqa: S603
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the receiver did not start") from None
                time.sleep(0.05)
        time.sleep(0.5)  # the other processes bind too

    def stop(self) -> None:
        arrivals: list[tuple[int, str]] = []
        for proc, _ in self.procs:
            proc.send_signal(signal.SIGINT)
        for proc, log in self.procs:
            proc.wait(timeout=60)
            found = json.loads(log.read_text())
            arrivals += [(int(t), str(w)) for t, w in found["accepted"]]
            self.bad_signatures += found["bad_signatures"]
        self.procs = []
        self.accepted += [w for _, w in sorted(arrivals)]
        self.arrived_ns += [t for t, _ in sorted(arrivals)]


# -- a bare client against the receiver: its ceiling, and the HTTP clients compared ----------------------------


def bare_client(client: str, url: str, secret: str, n: int, connections: int) -> dict[str, Any]:
    """``n`` signed POSTs (bodies like the worker's) over ``connections`` keep-alive connections, no database: what
    the receiver takes at most from one client process, and what the client costs per request."""
    import asyncio
    from datetime import UTC, datetime

    from sharedhash.server.webhooks.signing import Signer, envelope

    signer = Signer([secret])
    now = datetime.now(UTC)
    payload = {"content_id": "content-0", "n": 0, "list_id": 7, "classification": "A1", "distance": 0}
    body = envelope("match.block", now, payload).encode()
    ids = [f"msg_bare_{client}_{i}" for i in range(n)]

    def headers(i: int) -> dict[str, str]:
        return signer.headers(ids[i], datetime.now(UTC), body.decode()) | {"content-type": "application/json"}

    async def with_aiohttp() -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector) as session:
            todo = iter(range(n))

            async def one_connection() -> None:
                for i in todo:
                    async with session.post(url, data=body, headers=headers(i), allow_redirects=False) as answer:
                        await answer.read()
                        assert answer.status == 204, answer.status

            await asyncio.gather(*(one_connection() for _ in range(connections)))

    async def with_httpx() -> None:
        import httpx

        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(limits=limits, trust_env=False) as session:
            todo = iter(range(n))

            async def one_connection() -> None:
                for i in todo:
                    answer = await session.post(url, content=body, headers=headers(i), follow_redirects=False)
                    assert answer.status_code == 204, answer.status_code

            await asyncio.gather(*(one_connection() for _ in range(connections)))

    began = time.perf_counter()
    cpu = time.process_time()
    asyncio.run(with_aiohttp() if client == "aiohttp" else with_httpx())
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu
    return {
        "run": f"bare {client} client, {connections} connections (receiver ceiling)",
        "events": n,
        "seconds": elapsed,
        "events_per_s": n / elapsed,
        "cpu_ms_per_event": cpu / n * 1000,
        "load": os.getloadavg()[0],
    }


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


def _backlog_state(db: Any) -> dict[str, Any]:
    """When the receiver comes back: the attempts rows written so far, and how far the pending events' attempts
    and back-off reach (the drain cannot end before the last back-off ends)."""
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from sharedhash.store.models import OutboxEvent, OutboxState, WebhookAttempt

    now = datetime.now(UTC)
    with db.reading() as s:
        rows = s.execute(
            select(OutboxEvent.attempts, OutboxEvent.next_attempt_at).where(
                OutboxEvent.state == OutboxState.PENDING.value
            )
        ).all()
        attempt_rows = int(s.scalar(select(func.count()).select_from(WebhookAttempt)) or 0)

    def wait(t: datetime) -> float:
        return ((t if t.tzinfo else t.replace(tzinfo=UTC)) - now).total_seconds()

    waits = sorted(max(0.0, wait(t)) for _, t in rows)
    return {
        "pending_at_return": len(rows),
        "attempt_rows_at_return": attempt_rows,
        "max_attempts_at_return": max((a for a, _ in rows), default=0),
        "backing_off_at_return": sum(1 for w in waits if w > 0),
        "max_backoff_s_at_return": waits[-1] if waits else 0.0,
    }


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
        if wid.startswith("msg_bare_"):
            continue  # the bare clients' requests (the receiver ceiling rows), not outbox events
        if wid not in seen:
            seen.add(wid)
            got[key_of[wid]].append(wid)
    return {
        "outbox_events": len(rows),
        "lost": len(key_of) - len(seen),
        "duplicates": sum(1 for wid in accepted if not wid.startswith("msg_bare_")) - len(seen),
        "in_order": all(got[k] == v for k, v in expected.items()),
    }


def run(
    backend: str,
    events: int,
    rate: float,
    scale: float,
    per_key: int,
    pg_url: str,
    *,
    outage_seconds: float | None,
    receivers: int,
    bare: int,
    clients: list[str],
) -> list[dict[str, Any]]:
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
        receiver = Receiver(secret, workdir, receivers)
        with db.writing() as s:
            org = create_org(s, "quuxvid")
            endpoint = create_endpoint(
                s, org_id=org.id, name="blocks", url=receiver.url, sealed_secret=box.seal(secret)
            )
            org_id, endpoint_id = org.id, endpoint.id

        # 1. Throughput: a backlog of `events`, the receiver up, the worker started; until the outbox is empty.
        _write(db, org_id, endpoint_id, events, 0, per_key)
        receiver.start()
        # 0. The same run's reference: bare clients (no database, no worker) against the same receiver.
        for client in clients if bare else []:
            rows.append({"backend": backend, **bare_client(client, receiver.url, secret, bare, 64)})
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

        # 2. Outage: the receiver refuses while the events of the (scaled) outage arrive: rate x its real length.
        receiver.stop()
        outage_s = 600 / scale if outage_seconds is None else outage_seconds
        backlog = int(rate * outage_s * scale)
        retries = {
            "webhook_retry_base_seconds": 5.0 / scale,
            "webhook_retry_max_seconds": 3600.0 / scale,
            "webhook_retry_total_seconds": 24 * 3600.0 / scale,
        }
        from sharedhash.settings import Settings

        if "webhook_probe_max_seconds" in Settings.model_fields:  # the circuit breaker's probes (not in older code)
            retries["webhook_probe_max_seconds"] = 30.0 / scale
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
        outage_lasted = time.perf_counter() - start_outage
        at_return = _backlog_state(db)
        before = len(receiver.accepted)
        back_ns = time.monotonic_ns()
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
        drain_arrivals = receiver.arrived_ns[before:]
        first_s = (drain_arrivals[0] - back_ns) / 1e9 if drain_arrivals else float("nan")
        spread_s = (drain_arrivals[-1] - drain_arrivals[0]) / 1e9 if drain_arrivals else float("nan")
        check = _check(db, receiver.accepted)
        written = backlog // steps * steps
        rows.append(
            {
                "backend": backend,
                "run": f"outage: {written:,} events ({rate:g}/s x {outage_s * scale / 60:g} min), drain",
                "events": written,
                "seconds": drained,
                "events_per_s": written / drained,
                "cpu_ms_per_event": drain_cpu / written * 1000,
                "load": os.getloadavg()[0],
                "refused_attempts": refused,
                "outage_lasted_s": outage_lasted,
                "first_delivery_after_s": first_s,
                "first_to_last_delivery_s": spread_s,
                "breaker_opened": getattr(worker.stats, "breaker_opened", None),
                "probes": getattr(worker.stats, "probes", None),
                **at_return,
                **check,
                "bad_signatures": receiver.bad_signatures,
            }
        )
        db.dispose()
    if backend == "postgres":
        _drop_database(url, pg_url)
    return rows


def _drop_database(url: str, pg_url: str) -> None:
    import psycopg

    admin = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=50.0, help="Realistic events/s during the outage.")
    parser.add_argument("--scale", type=float, default=60.0, help="Outage and back-off time divided by this.")
    parser.add_argument(
        "--outage-seconds",
        type=float,
        default=None,
        help="How long the receiver is down in this run (default 600/scale); it stands for this x scale seconds.",
    )
    parser.add_argument("--per-key", type=int, default=2, help="Events per content item (ordering key).")
    parser.add_argument("--receivers", type=int, default=2, help="Receiver processes (one port, SO_REUSEPORT).")
    parser.add_argument("--bare", type=int, default=5000, help="Requests of each bare client (0: no ceiling rows).")
    parser.add_argument(
        "--client", action="append", choices=["aiohttp", "httpx"], help="Bare clients to run (default: both)."
    )
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
        rows += run(
            backend,
            args.events,
            args.rate,
            args.scale,
            args.per_key,
            args.postgres_url,
            outage_seconds=args.outage_seconds,
            receivers=args.receivers,
            bare=args.bare,
            clients=args.client or ["aiohttp", "httpx"],
        )
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
                f"{r['outbox_events']:,} events in the outbox in all; the outage lasted {r['outage_lasted_s']:.1f} s; "
                f"circuit breaker opened {r['breaker_opened']} times, {r['probes']} probes; when the receiver came "
                f"back: {r['pending_at_return']:,} pending, {r['backing_off_at_return']:,} of them backing off (up to "
                f"{r['max_backoff_s_at_return']:.1f} s more), up to {r['max_attempts_at_return']} attempts each, "
                f"{r['attempt_rows_at_return']:,} attempt rows written in all; "
                f"first delivery {r['first_delivery_after_s']:.2f} s "
                f"after the receiver was started again, the last {r['first_to_last_delivery_s']:.2f} s after the first"
            )


if __name__ == "__main__":
    main()

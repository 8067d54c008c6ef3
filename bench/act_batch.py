"""Batched hash-only checks (issue 12) in process, beside their reference, the plain lookup of the same hashes.

    python bench/act_batch.py                                  # SQLite, 100,000 stored entries (PDQ + md5)
    python bench/act_batch.py --entries 1000000 --backend postgres
    python bench/act_batch.py --profile /tmp/batch.prof        # cProfile of the check service's batches
    python bench/act_batch.py --prior-checks 1000000           # the check tables holding a million checks first

Each round builds 10,000 PDQ hashes (half 8 bits from a stored hash, half unrelated, as ``bench/act.py``) and
times, interleaved:

- ``POST /v1/lookup`` with them (the reference) and ``POST /v1/content/batch`` with one item per hash, each a new
  content id, through the whole ASGI app in this process (``TestClient``: no sockets, bodies encoded beforehand);
- the services alone: ``lookup_service.lookup`` and ``act.service.check_hashes`` on the same hashes (no HTTP, no
  body parsing or answer serialisation).

``--prior-checks N`` first stores N one-PDQ-hash checks with their check hashes (through the store's own writers,
as a hub keeps its checks for the retention period): the inserts then maintain indexes of that size, as on a hub
that has run for a while, instead of tables that start empty.

What ``bench/act.py`` measures over real HTTP is the first pair plus the server's socket work and the client's;
this script shows where a batch's time goes without the load generator sharing the cores.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from act import BATCH, PG_DEFAULT, _import, bench_org, near_or_new, on_backend, pdq  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("SHAREDHASH_TEST_POSTGRES_URL", PG_DEFAULT))
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", type=Path, help="write a cProfile of the check service's batches here")
    parser.add_argument("--prior-checks", type=int, default=0, help="one-PDQ-hash checks stored before the rounds")
    args = parser.parse_args()
    on_backend(args, "sharedhash-bench-batch-", bench)


def bench(args: argparse.Namespace, url: str, work: Path) -> None:
    from fastapi.testclient import TestClient

    from sharedhash.server.act import service
    from sharedhash.server.app import create_app
    from sharedhash.server.lookup import service as lookup_service
    from sharedhash.server.lookup.service import Query
    from sharedhash.store.models import Scope
    from sharedhash.store.visibility import Caller

    org_id, token, settings = bench_org(url, work)
    if args.prior_checks:
        began = time.perf_counter()
        store_prior_checks(url, org_id, args.prior_checks)
        print(f"stored {args.prior_checks:,} prior checks in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    entries = args.entries
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    with TestClient(create_app(settings)) as client:
        lst = client.post("/v1/hash-lists", json={"name": "bench", "pdq_threshold": 31}, headers=headers).json()
        began = time.perf_counter()
        client.headers.update(headers)
        _import(client, lst["id"], entries)
        print(f"imported {entries:,} entries in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline:
            body = client.get("/readyz").json()
            if not body.get("compacting") and not body.get("entry_cache", {}).get("warming"):
                break
            time.sleep(0.5)
        state = client.app.state.hub  # type: ignore[attr-defined]
        caller = Caller(org_id, "bench", None, frozenset({Scope.ADMIN}), True)
        rng = random.Random(1)

        def values(n: int) -> list[str]:
            return near_or_new(rng, entries, n)

        # One match first: the org's review queue is created, the caches are warm.
        client.post("/v1/content/batch", json={"items": [{"content_id": "warm", "hashes": [
            {"hash_type": "pdq", "value": pdq(0)}]}]}, headers=headers).raise_for_status()  # fmt: skip
        times: dict[str, list[float]] = {k: [] for k in ("http lookup", "http check", "lookup", "check")}
        # This process's CPU time (every thread's; not the database server's), robust to other work on the machine.
        cpu: dict[str, list[float]] = {k: [] for k in times}
        profiler = cProfile.Profile() if args.profile else None
        for r in range(args.rounds):
            batch = values(BATCH)
            lookup_body = json.dumps(
                {"hashes": [{"hash_type": "pdq", "value": v} for v in batch]}, separators=(",", ":")
            ).encode()
            check_body = json.dumps(
                {
                    "items": [
                        {
                            "content_id": f"h{r}-{i}-{uuid.uuid4().hex[:6]}",
                            "content_type": "image",
                            "hashes": [{"hash_type": "pdq", "value": v}],
                        }  # fmt: skip
                        for i, v in enumerate(batch)
                    ]
                },
                separators=(",", ":"),
            ).encode()
            t0, c0 = time.perf_counter(), time.process_time()
            client.post("/v1/lookup", content=lookup_body, headers=headers).raise_for_status()
            times["http lookup"].append(time.perf_counter() - t0)
            cpu["http lookup"].append(time.process_time() - c0)
            t0, c0 = time.perf_counter(), time.process_time()
            answer = client.post("/v1/content/batch", content=check_body, headers=headers)
            times["http check"].append(time.perf_counter() - t0)
            cpu["http check"].append(time.process_time() - c0)
            answer.raise_for_status()
            matched = sum(c["matched"] for c in answer.json()["checks"])
            assert matched >= BATCH * 0.4, matched

            other = values(BATCH)
            queries = [Query(i, "pdq", v) for i, v in enumerate(other)]
            t0, c0 = time.perf_counter(), time.process_time()
            lookup_service.lookup(state.db, state.indexes, state.caches, caller, queries, audit_log=state.audit)
            times["lookup"].append(time.perf_counter() - t0)
            cpu["lookup"].append(time.process_time() - c0)
            items = [
                (service.ContentMeta(content_id=f"s{r}-{i}-{uuid.uuid4().hex[:6]}", content_type="image"), [("pdq", v)])
                for i, v in enumerate(other)
            ]
            if profiler is not None:
                profiler.enable()
            t0, c0 = time.perf_counter(), time.process_time()
            service.check_hashes(state, caller, items)
            times["check"].append(time.perf_counter() - t0)
            cpu["check"].append(time.process_time() - c0)
            if profiler is not None:
                profiler.disable()
        if profiler is not None:
            profiler.dump_stats(str(args.profile))
    print(f"\n{args.backend}, {entries:,} stored entries (pdq + md5), {args.rounds} rounds of {BATCH:,} hashes\n")
    print("| measure | median ms per batch | hashes/s | rounds ms | CPU ms of this process (median; rounds) |")
    print("| --- | ---: | ---: | --- | --- |")
    for name, label in (
        ("http lookup", "POST /v1/lookup (reference), in process"),
        ("http check", "POST /v1/content/batch, in process"),
        ("lookup", "lookup service alone (reference)"),
        ("check", "check service alone"),
    ):
        median = statistics.median(times[name])
        rounds = ", ".join(f"{t * 1000:.0f}" for t in times[name])
        spent = ", ".join(f"{t * 1000:.0f}" for t in cpu[name])
        print(
            f"| {label} | {median * 1000:,.0f} | {BATCH / median:,.0f} | {rounds} "
            f"| {statistics.median(cpu[name]) * 1000:,.0f}; {spent} |"
        )
    http = statistics.median(times["http check"]) / statistics.median(times["http lookup"])
    alone = statistics.median(times["check"]) / statistics.median(times["lookup"])
    print(f"\nratio check / lookup: HTTP {http:.2f}, services {alone:.2f}")


def store_prior_checks(url: str, org_id: int, n: int) -> None:
    """``n`` one-PDQ-hash checks of ``org_id`` made a day ago, each with its check hash (random values), 100,000 a
    transaction through the store's writers."""
    from datetime import timedelta

    from sharedhash.store import checks as store
    from sharedhash.store.db import open_database
    from sharedhash.store.models import utcnow

    db = open_database(url)
    at = utcnow() - timedelta(days=1)
    rng = random.Random(7)
    try:
        for first in range(0, n, 100_000):
            values = [f"{rng.getrandbits(256):064x}" for _ in range(first, min(first + 100_000, n))]
            with db.writing() as s:
                rows: list[store.CheckColumns] = [
                    (f"p{first + i}", f"p{first + i}", "image", None, None, None, "[]", "[]", False, "[]")
                    for i in range(len(values))
                ]
                ids = store.write_checks(s, org_id, at, rows)
                store.write_check_hashes(s, org_id, at, [(c, "pdq", v) for c, v in zip(ids, values, strict=True)])
    finally:
        db.dispose()


if __name__ == "__main__":
    main()

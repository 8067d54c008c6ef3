"""Single content checks at 16 concurrent threads, with and without the group commit (issue 12), in process.

    python bench/act_group_commit.py                 # SQLite, 20,000 stored PDQ entries, 2 rounds of 8 s each
    python bench/act_group_commit.py --backend postgres   # a new database on SHAREDHASH_TEST_POSTGRES_URL's server

The reference in the same run is the same checks written one transaction per request (the group commit switched
off: ``service.GROUP_COMMIT_MAX_ITEMS = 0``), interleaved round by round. The service is called directly (no HTTP),
so the figures show what the write path costs (on PostgreSQL ``--writers`` compares how many batches
are written side by side, ``service.GROUP_COMMIT_WRITERS_POSTGRES``); bench/act.py measures through the HTTP
server. Beside the group commit's figures: how many requests a batch (one leader's turn) wrote, how long a request
waited for its batch's write to begin, and how long a batch took to write (``service.GroupCommitStats``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from act import PG_DEFAULT, bench_org, flip, on_backend, pdq  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("SHAREDHASH_TEST_POSTGRES_URL", PG_DEFAULT))
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--writers", type=int, action="append", help="PostgreSQL: batches written side by side (repeat to compare)"
    )
    args = parser.parse_args()
    from sharedhash.server.act.service import GROUP_COMMIT_WRITERS_POSTGRES

    args.writers = (args.writers or [GROUP_COMMIT_WRITERS_POSTGRES]) if args.backend == "postgres" else [1]
    on_backend(args, "sharedhash-bench-group-", bench)


def bench(args: argparse.Namespace, url: str, work: Path) -> None:
    from fastapi.testclient import TestClient

    from sharedhash.server.act import service
    from sharedhash.server.app import create_app
    from sharedhash.store.models import Scope
    from sharedhash.store.visibility import Caller

    org_id, token, settings = bench_org(url, work)
    entries = args.entries
    with TestClient(create_app(settings)) as client:
        auth = {"Authorization": f"Bearer {token}"}
        lst = client.post("/v1/hash-lists", json={"name": "bench", "pdq_threshold": 31}, headers=auth).json()
        lines = b"".join(
            json.dumps({"hashes": [{"hash_type": "pdq", "value": pdq(i), "quality": 90}]}).encode() + b"\n"
            for i in range(entries)
        )
        client.post(f"/v1/hash-lists/{lst['id']}/import", content=lines, headers=auth).raise_for_status()
        state = client.app.state.hub  # type: ignore[attr-defined]
        caller = Caller(org_id, "bench", None, frozenset({Scope.ADMIN}), True)
        # One match first: it creates the org's default review queue. (Its creation by many concurrent first
        # matches races on PostgreSQL: store/review.py queue_named, reported to the review domain.)
        warm = service.ContentMeta(content_id="warm-up", content_type="image")
        service.check_hashes(state, caller, [(warm, [("pdq", pdq(0))])])

        def run() -> dict[str, float]:
            service._COMMITS.stats = stats = service.GroupCommitStats()
            latencies: list[float] = []
            deadline = time.perf_counter() + args.seconds

            def worker(seed: int) -> None:
                rng = random.Random(seed)
                while time.perf_counter() < deadline:
                    near = rng.random() < 0.5
                    value = flip(pdq(rng.randrange(entries)), 8, rng) if near else pdq(entries + rng.randrange(10**9))
                    meta = service.ContentMeta(content_id=uuid.uuid4().hex, content_type="image")
                    t0 = time.perf_counter()
                    service.check_hashes(state, caller, [(meta, [("pdq", value)])])
                    latencies.append(time.perf_counter() - t0)

            threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            latencies.sort()
            batches = max(stats.batches, 1)
            return {
                "checks/s": len(latencies) / args.seconds,
                "p50 ms": statistics.median(latencies) * 1000,
                "p99 ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
                "requests/batch": stats.requests / batches,
                "wait ms": stats.wait_seconds / max(stats.requests, 1) * 1000,
                "max wait ms": stats.max_wait_seconds * 1000,
                "write ms": stats.write_seconds / batches * 1000,
                "max write ms": stats.max_write_seconds * 1000,
            }

        rows: list[tuple[str, dict[str, float]]] = []
        for _ in range(args.rounds):
            service.GROUP_COMMIT_MAX_ITEMS = 0
            rows.append(("one transaction per request (reference)", run()))
            service.GROUP_COMMIT_MAX_ITEMS = 16
            for writers in args.writers:
                service.GROUP_COMMIT_WRITERS_POSTGRES = writers
                name = "group commit" if args.backend == "sqlite" else f"group commit, {writers} writers"
                rows.append((name, run()))
    print(f"\n{entries:,} stored PDQ entries; {args.clients} threads; {args.backend}\n")
    print(
        "| write path | checks/s | p50 ms | p99 ms | requests/batch | wait for the batch ms (mean / max) "
        "| batch write ms (mean / max) |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, got in rows:
        grouped = name.startswith("group commit")
        print(
            f"| {name} | {got['checks/s']:,.0f} | {got['p50 ms']:.1f} | {got['p99 ms']:.1f} | "
            + (
                f"{got['requests/batch']:.1f} | {got['wait ms']:.1f} / {got['max wait ms']:.1f} | "
                f"{got['write ms']:.1f} / {got['max write ms']:.1f} |"
                if grouped
                else "| | |"
            )
        )


if __name__ == "__main__":
    main()

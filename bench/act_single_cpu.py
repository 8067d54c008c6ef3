"""CPU per single content check (issue 12), in process: 16 concurrent ``POST /v1/content`` (one PDQ hash, a new
content id each) sent straight to the ASGI app on its own event loop, no HTTP client or server in between.

    python bench/act_single_cpu.py                       # SQLite, 20,000 stored PDQ entries, 3 rounds of 6 s
    python bench/act_single_cpu.py --backend postgres    # a new database on SHAREDHASH_TEST_POSTGRES_URL's server
    python bench/act_single_cpu.py --profile /tmp/p      # cProfile of the loop and of the group commit's writer

Each round runs single lookups (``POST /v1/lookup`` of the same hashes, the reference) then single checks, and
prints per request: this process's CPU time (all threads: the database server's is not counted), the event loop
thread's and the group commit writer's CPU time, and checks/s. The machine may be shared: CPU time per request
moves less with another process's load than wall time does.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from act import PG_DEFAULT, bench_org, near_or_new, on_backend, pdq  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("SHAREDHASH_TEST_POSTGRES_URL", PG_DEFAULT))
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", help="write cProfile stats of the checks to PREFIX.loop and PREFIX.writer")
    args = parser.parse_args()
    on_backend(args, "sharedhash-bench-single-", bench)


def bench(args: argparse.Namespace, url: str, work: Path) -> None:
    from fastapi.testclient import TestClient

    from sharedhash.server.act import service
    from sharedhash.server.app import create_app

    _, token, settings = bench_org(url, work)
    entries = args.entries
    app = create_app(settings)
    with TestClient(app) as client:
        auth = {"Authorization": f"Bearer {token}"}
        lst = client.post("/v1/hash-lists", json={"name": "bench", "pdq_threshold": 31}, headers=auth).json()
        lines = b"".join(
            json.dumps({"hashes": [{"hash_type": "pdq", "value": pdq(i)}]}).encode() + b"\n" for i in range(entries)
        )
        client.post(f"/v1/hash-lists/{lst['id']}/import", content=lines, headers=auth).raise_for_status()
        rng = random.Random(1)
        singles = near_or_new(rng, entries, 5000)
        # One match first (the org's default review queue), and warm caches (keys, lists).
        for i in range(20):
            body = {
                "content_id": f"warm-{i}",
                "content_type": "image",
                "hashes": [{"hash_type": "pdq", "value": singles[i]}],
            }
            client.post("/v1/content", json=body, headers=auth).raise_for_status()
            client.post("/v1/lookup", json={"hashes": [{"hash_type": "pdq", "value": singles[i]}]}, headers=auth)

        writer_cpu = [0.0]
        writer_profile = cProfile.Profile(time.thread_time) if args.profile else None
        lead = service._COMMITS._lead

        def timed_lead(batch: list[Any]) -> list[Any]:
            t0 = time.thread_time()
            if writer_profile is not None and profiling[0]:
                writer_profile.enable()
            try:
                return lead(batch)
            finally:
                if writer_profile is not None and profiling[0]:
                    writer_profile.disable()
                writer_cpu[0] += time.thread_time() - t0

        profiling = [False]
        service._COMMITS._lead = timed_lead  # type: ignore[method-assign]
        loop_profile = cProfile.Profile(time.thread_time) if args.profile else None

        async def drive(kind: str) -> dict[str, float]:
            path = b"/v1/content" if kind == "check" else b"/v1/lookup"
            headers = [(b"authorization", f"Bearer {token}".encode()), (b"content-type", b"application/json")]
            done = [0]
            latencies: list[float] = []
            deadline = time.perf_counter() + args.seconds

            async def one(i: int) -> None:
                value = singles[i % len(singles)]
                if kind == "check":
                    body = json.dumps({"content_id": f"s-{i}-{uuid.uuid4().hex[:8]}", "content_type": "image",
                                       "hashes": [{"hash_type": "pdq", "value": value}]}).encode()  # fmt: skip
                else:
                    body = json.dumps({"hashes": [{"hash_type": "pdq", "value": value}]}).encode()
                scope: dict[str, Any] = {
                    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                    "scheme": "http", "path": path.decode(), "raw_path": path, "query_string": b"",
                    "root_path": "", "headers": [*headers, (b"content-length", str(len(body)).encode())],
                    "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {},
                }  # fmt: skip
                sent = [False]
                status = [0]

                async def receive() -> dict[str, Any]:
                    if not sent[0]:
                        sent[0] = True
                        return {"type": "http.request", "body": body, "more_body": False}
                    await asyncio.sleep(3600)
                    return {"type": "http.disconnect"}

                async def send(message: MutableMapping[str, Any]) -> None:
                    if message["type"] == "http.response.start":
                        status[0] = message["status"]

                await app(scope, receive, send)
                if status[0] != 200:
                    raise RuntimeError(f"{kind}: status {status[0]}")

            async def client_task(n: int) -> None:
                i = n
                while time.perf_counter() < deadline:
                    t0 = time.perf_counter()
                    await one(i)
                    latencies.append(time.perf_counter() - t0)
                    done[0] += 1
                    i += args.clients

            writer_cpu[0] = 0.0
            cpu0, loop0, wall0 = time.process_time(), time.thread_time(), time.perf_counter()
            if loop_profile is not None and kind == "check":
                profiling[0] = True
                loop_profile.enable()
            await asyncio.gather(*(client_task(n) for n in range(args.clients)))
            if loop_profile is not None and kind == "check":
                loop_profile.disable()
                profiling[0] = False
            cpu, loop_cpu, wall = time.process_time() - cpu0, time.thread_time() - loop0, time.perf_counter() - wall0
            n = max(done[0], 1)
            latencies.sort()
            return {
                "per_s": n / wall,
                "cpu_us": cpu / n * 1e6,
                "loop_us": loop_cpu / n * 1e6,
                "writer_us": writer_cpu[0] / n * 1e6,
                "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
            }

        rows: list[tuple[str, dict[str, float]]] = []
        assert client.portal is not None
        for _ in range(args.rounds):
            rows.append(("lookup", client.portal.call(drive, "lookup")))
            rows.append(("check", client.portal.call(drive, "check")))
        service._COMMITS._lead = lead  # type: ignore[method-assign]
    if loop_profile is not None and writer_profile is not None:
        loop_profile.dump_stats(f"{args.profile}.loop")
        writer_profile.dump_stats(f"{args.profile}.writer")
    print(f"\n{entries:,} stored PDQ entries; {args.clients} clients; {args.backend}; load {os.getloadavg()[0]:.1f}\n")
    print("| round | kind | per s | p99 ms (in process) | CPU µs per request | loop thread µs | writer thread µs |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: |")
    for n, (kind, got) in enumerate(rows):
        print(
            f"| {n // 2 + 1} | {kind} | {got['per_s']:,.0f} | {got['p99_ms']:.1f} | {got['cpu_us']:,.0f} | "
            f"{got['loop_us']:,.0f} | {got['writer_us']:,.0f} |"
        )
    checks = [g["cpu_us"] for k, g in rows if k == "check"]
    lookups = [g["cpu_us"] for k, g in rows if k == "lookup"]
    print(
        f"\nmedian CPU µs per check {statistics.median(checks):,.0f}, per lookup {statistics.median(lookups):,.0f}, "
        f"check / lookup {statistics.median(checks) / statistics.median(lookups):.2f}"
    )


if __name__ == "__main__":
    main()

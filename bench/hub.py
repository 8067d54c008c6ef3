"""Benchmark the hub against real servers on loopback (SQLite and PostgreSQL): import, lookup, latency, sync, start.

    python bench/hub.py --entries 100000 --backend sqlite --backend postgres
    python bench/hub.py --entries 1000000 --backend postgres --import-only   # the bulk import alone
    python bench/hub.py --entries 100000 --backend sqlite --backend postgres --export   # export vs the old export

With --export, the export of one list is timed in-process, in the same run, three ways: the ORM export the hub
used before (the reference, kept here), the export it uses now, and reading the same list's feed (what the issue
compared it with); the two exports' bytes must be equal.

Each backend gets a fresh database and a `sharedhash serve` subprocess; a second server (the node, SQLite) is
synced from it with `sharedhash sync`. Figures print as a Markdown table (the issue's targets beside them).
There is no reference hub to compare with in the same run, so absolute figures are reported; the machine is shared
and noisy, so treat them as lower bounds.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx

from sharedhash.client import Client

BIN = Path(sys.executable).parent / "sharedhash"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A `sharedhash serve` subprocess on its own database."""

    def __init__(self, db_url: str, data_dir: Path) -> None:
        self.db_url = db_url
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {"SHAREDHASH_DATABASE_URL": db_url, "SHAREDHASH_DATA_DIR": str(data_dir)}
        self.proc: subprocess.Popen[bytes] | None = None
        self.command = [str(BIN), "serve", "--port", str(self.port), "--log-level", "warning"]
        _RUNNING.append(self)

    def cli(self, *args: str) -> str:
        return subprocess.run([str(BIN), *args], env=self.env, check=True, capture_output=True, text=True).stdout

    def start(self) -> float:
        """Start the server; return the seconds until /readyz answers 200."""
        began = time.perf_counter()
        self.proc = subprocess.Popen(
            self.command,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return time.perf_counter() - began
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited during start")
            time.sleep(0.05)

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the server process has used so far (Linux /proc), or 0 if unknown."""
        found = _process_cpu(Path(f"/proc/{self.proc.pid if self.proc else 0}"))
        return found[1] if found is not None else 0.0

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
            self.proc = None


def _process_cpu(proc: Path) -> tuple[str, float] | None:
    """``(command name, CPU seconds used so far (user + system))`` of a ``/proc/<pid>`` folder, or None if gone."""
    try:
        stat = (proc / "stat").read_text()
    except OSError:
        return None
    name, rest = stat.split("(", 1)[1].rsplit(")", 1)
    fields = rest.split()
    return name, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time (user + system) of every PostgreSQL server process on this machine so far (Linux /proc)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        found = _process_cpu(proc) if proc.name.isdigit() else None
        if found is not None and found[0].startswith("postgres"):
            total += found[1]
    return total


#: Set by ``--import-only``: measure the bulk import and stop.
IMPORT_ONLY = False


def pdq(i: int) -> str:
    return hashlib.sha256(f"bench-pdq-{i}".encode()).hexdigest()


def md5(i: int) -> str:
    return hashlib.md5(f"bench-md5-{i}".encode()).hexdigest()


def flip(value: str, bits: int, rng: random.Random) -> str:
    n = int(value, 16)
    for b in rng.sample(range(256), bits):
        n ^= 1 << b
    return f"{n:064x}"


def jsonl_chunks(start: int, stop: int, per_chunk: int = 2000) -> Iterator[bytes]:
    for first in range(start, stop, per_chunk):
        yield b"".join(
            json.dumps(
                {
                    "hashes": [
                        {"hash_type": "pdq", "value": pdq(i), "quality": 90},
                        {"hash_type": "md5", "value": md5(i)},
                    ],
                    "classification": "A1",
                    "labels": ["bench"],
                },
                separators=(",", ":"),
            ).encode()
            + b"\n"
            for i in range(first, min(first + per_chunk, stop))
        )


_RUNNING: list[Server] = []


def measure(backend: str, db_url: str, entries: int, work: Path) -> dict[str, float]:
    try:
        return _measure(backend, db_url, entries, work)
    finally:
        for server in _RUNNING:
            server.stop()
        _RUNNING.clear()


def wait_until_warm(url: str, limit: float = 600.0) -> float:
    """Seconds until ``/readyz`` says the entry cache has nothing left to read and no index is compacting."""
    began = time.perf_counter()
    while time.perf_counter() - began < limit:
        ready = httpx.get(f"{url}/readyz", timeout=5).json()
        if not ready["entry_cache"]["warming"] and not ready.get("compacting"):
            break
        time.sleep(0.5)
    return time.perf_counter() - began


def _measure(backend: str, db_url: str, entries: int, work: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    hub = Server(db_url, work / "hub")
    token = json.loads(hub.cli("org", "create", "bench", "--json"))["api_key"]
    hub.start()
    client = Client(hub.url, token, timeout=3600)
    lst = client.create_list("bench", visibility="members")

    # Bulk import, in requests of up to 100,000 entries each, streamed from files written beforehand (so that
    # making the lines does not compete with the server for the CPU while it is timed).
    bodies = []
    for first in range(0, entries, 100_000):
        path = work / f"import-{first}.jsonl"
        with path.open("wb") as f:
            f.writelines(jsonl_chunks(first, min(first + 100_000, entries)))
        bodies.append(path)
    began = time.perf_counter()
    cpu_before, db_cpu_before = hub.cpu_seconds(), postgres_cpu_seconds()
    for path in bodies:
        result = client.import_entries(lst.id, path)
        assert result.committed, result.errors[:3]
        path.unlink()
    out["import entries/s"] = entries / (time.perf_counter() - began)
    out["import: hub CPU s"] = hub.cpu_seconds() - cpu_before
    if backend == "postgres":
        out["import: PostgreSQL server CPU s"] = postgres_cpu_seconds() - db_cpu_before
    if IMPORT_ONLY:
        return out

    # After a bulk import the server merges the new hashes into its index segments in the background (lookups
    # meanwhile also scan the recent ones) and may read entries into its cache: lookups are measured once both are
    # done, and the wait is reported.
    out["compaction and entry cache done after the import s"] = wait_until_warm(hub.url)

    out.update(bench_batch_lookup(hub, token, entries))
    out.update(bench_single_lookup(hub, token, entries))

    # A new hash is matchable on the hub at once.
    fresh = pdq(10**12)
    t0 = time.perf_counter()
    client.add_entry(lst.id, [("pdq", fresh)])
    assert client.lookup([("pdq", fresh)]).matches
    out["add then match on hub ms"] = (time.perf_counter() - t0) * 1000

    # Full sync into a node (SQLite), then a new hash through the feed to the node.
    node = Server(f"sqlite:///{work / 'node.db'}", work / "node")
    began = time.perf_counter()
    cpu_before = hub.cpu_seconds()
    sync_cpu_before = os.times()
    node.cli("sync", "--from", hub.url, "--api-key", token, "--org", "node", "--json")
    out["full sync into a node s"] = time.perf_counter() - began
    sync_cpu_after = os.times()
    out["sync: hub CPU s"] = hub.cpu_seconds() - cpu_before
    out["sync: node (sync command) CPU s"] = (sync_cpu_after.children_user - sync_cpu_before.children_user) + (
        sync_cpu_after.children_system - sync_cpu_before.children_system
    )
    node.start()
    node_token = json.loads(node.cli("org", "create", "reader", "--json"))["api_key"]
    del node_token  # the node's mirrors belong to "node"; read them with its key
    node_key = _key_for(node, "node")
    newer = pdq(10**12 + 1)
    t0 = time.perf_counter()
    client.add_entry(lst.id, [("pdq", newer)])
    node.cli("sync", "--from", hub.url, "--api-key", token, "--org", "node", "--json")
    with Client(node.url, node_key) as nc:
        while not nc.lookup([("pdq", newer)]).matches:
            time.sleep(0.05)
    out["add on hub then match on node s"] = time.perf_counter() - t0
    node.stop()

    # Restart: time until the hub serves with every entry indexed.
    hub.stop()
    out["server start, ready to serve s"] = hub.start()
    hub.stop()
    client.close()
    print(f"[{backend}] done", file=sys.stderr)
    return out


# --- Lookup measurements -------------------------------------------------------------------------------------
# The load comes from `wrk` (C, one process; Debian: `apt-get install wrk`) driven by a Lua script that cycles
# through prepared request bodies, so the generator does not eat the CPU the server needs; without wrk, from one
# asyncio process with the same number of concurrent httpx connections. Every answer is checked once with the
# Python client before timing. Load average and the server's own CPU time per request print beside the figures.

LOOKUP_SECONDS = float(os.environ.get("BENCH_LOOKUP_SECONDS", "10"))

_WRK_SCRIPT = """
local bodies = {}
local headers = {}
local i = 0
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. args[2]
  i = math.random(#bodies)
end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/lookup", headers, bodies[i])
end
"""

#: The end of every wrk script here: one line of JSON with the figures the benchmarks read.
WRK_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def lookup_body(hashes: list[str]) -> bytes:
    return json.dumps({"hashes": [{"hash_type": "pdq", "value": v} for v in hashes]}, separators=(",", ":")).encode()


def _server_cpu(server: Server) -> float:
    """CPU seconds the server process has used (user + system)."""
    assert server.proc is not None
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drive(server: Server, token: str, bodies: list[bytes], connections: int) -> dict[str, float]:
    """Send ``bodies`` round-robin over ``connections`` for LOOKUP_SECONDS; requests/s, p50/p99 ms, CPU, load."""
    cpu0, load0 = _server_cpu(server), os.getloadavg()[0]
    if shutil.which("wrk"):
        with tempfile.TemporaryDirectory(prefix="sharedhash-wrk-") as tmp:
            script, data = Path(tmp) / "lookup.lua", Path(tmp) / "bodies.txt"
            script.write_text(_WRK_SCRIPT + WRK_DONE)
            data.write_bytes(b"\n".join(bodies) + b"\n")
            threads = min(2, connections)
            seconds = f"{max(1, round(LOOKUP_SECONDS))}s"
            run = subprocess.run(
                [
                    "wrk",
                    "-t",
                    str(threads),
                    "-c",
                    str(connections),
                    "-d",
                    seconds,
                    "--timeout",
                    "30s",
                    "-s",
                    str(script),
                    server.url,
                    "--",
                    str(data),
                    token,
                ],
                capture_output=True,
                text=True,
            )
            if run.returncode != 0:
                raise RuntimeError(f"wrk failed: {run.stderr.strip() or run.stdout.strip()}")
            line = next(x for x in run.stdout.splitlines() if x.startswith("WRK "))
            stats = json.loads(line[4:])
    else:
        stats = asyncio.run(_drive_async(server.url, token, bodies, connections))
    if stats["errors"]:
        raise RuntimeError(f"{stats['errors']} lookups failed during the measurement")
    cpu = _server_cpu(server) - cpu0
    return {
        "requests/s": stats["requests"] / stats["seconds"],
        "p50 ms": stats["p50_ms"],
        "p99 ms": stats["p99_ms"],
        "server CPU ms/request": cpu * 1000 / max(stats["requests"], 1),
        "load average": max(load0, os.getloadavg()[0]),
        "requests": stats["requests"],
        "generator": 0.0 if shutil.which("wrk") else 1.0,
    }


async def _drive_async(url: str, token: str, bodies: list[bytes], connections: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + LOOKUP_SECONDS
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=30) as client:

        async def worker(offset: int) -> None:
            nonlocal errors
            i = offset
            while time.perf_counter() < deadline:
                t0 = time.perf_counter()
                r = await client.post("/v1/lookup", content=bodies[i % len(bodies)])
                latencies.append(time.perf_counter() - t0)
                errors += r.status_code != 200
                i += 1

        began = time.perf_counter()
        await asyncio.gather(*(worker(k * 7) for k in range(connections)))
        seconds = time.perf_counter() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "seconds": seconds,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "errors": errors,
    }


def _report(what: str, figures: dict[str, float]) -> None:
    generator = "asyncio+httpx" if figures["generator"] else "wrk"
    print(
        f"  {what}: {figures['requests/s']:,.1f} requests/s, p50 {figures['p50 ms']:.2f} ms, "
        f"p99 {figures['p99 ms']:.2f} ms, server CPU {figures['server CPU ms/request']:.3f} ms/request, "
        f"{figures['requests']:,.0f} requests, load average {figures['load average']:.2f} ({generator})",
        file=sys.stderr,
    )


def bench_batch_lookup(server: Server, token: str, entries: int, connections: int = 2) -> dict[str, float]:
    """`POST /v1/lookup` with 1,000 PDQ hashes a request (half 8 bits from a stored one, half unrelated)."""
    rng = random.Random(1)
    batches = []
    for _ in range(20):
        batch = []
        for _ in range(1000):
            i = rng.randrange(entries)
            batch.append(flip(pdq(i), 8, rng) if rng.random() < 0.5 else pdq(entries + rng.randrange(10**9)))
        batches.append(batch)
    with Client(server.url, token, timeout=600) as client:
        found = len(client.lookup([("pdq", v) for v in batches[0]]).matches)
    assert found >= 400, found  # ~half of each batch is near a stored hash
    figures = _drive(server, token, [lookup_body(b) for b in batches], connections)
    _report(f"batches of 1000 pdq, {connections} connections", figures)
    return {"lookup hashes/s (batches of 1000 pdq)": figures["requests/s"] * 1000}


def bench_single_lookup(server: Server, token: str, entries: int, clients: int = 16) -> dict[str, float]:
    """One PDQ hash a request (4 bits from a stored one) from ``clients`` concurrent connections."""
    rng = random.Random(2)
    values = [flip(pdq(rng.randrange(entries)), 4, rng) for _ in range(5000)]
    with Client(server.url, token) as client:
        assert all(client.lookup([("pdq", v)]).matches for v in values[:20])
    figures = _drive(server, token, [lookup_body([v]) for v in values], clients)
    _report(f"single pdq, {clients} concurrent clients", figures)
    return {
        f"single lookup p50 ms ({clients} clients)": figures["p50 ms"],
        f"single lookup p99 ms ({clients} clients)": figures["p99 ms"],
    }


def _key_for(server: Server, org: str) -> str:
    code = (
        "from sharedhash.settings import get_settings;from sharedhash.store.db import database_url, open_database;"
        "from sharedhash.store.orgs import create_key, get_org_by_name;from sharedhash.store.models import Scope;"
        f"db=open_database(database_url(get_settings()))\nwith db.writing() as s: "
        f"print(create_key(s, get_org_by_name(s, {org!r}).id, frozenset({{Scope.READ}})).token)"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=server.env, check=True, capture_output=True, text=True
    ).stdout.strip()


def bench_export(db_url: str, entries: int) -> dict[str, float]:
    """Time the export of one list of ``entries`` entries (pdq + md5 each): the old ORM export (reference), the
    new one, and the feed; in-process, on a fresh database, CPU time of this process (the hub's work)."""
    from sharedhash.store.bulk import export_jsonl, iter_snapshot_lines, iter_snapshots
    from sharedhash.store.db import open_database
    from sharedhash.store.entries import insert_entries
    from sharedhash.store.feed import read_feed_json
    from sharedhash.store.lists import create_list
    from sharedhash.store.models import HashList, Scope
    from sharedhash.store.orgs import caller_for_org, create_key, create_org
    from sharedhash.store.validation import NewEntry, validate_hash

    db = open_database(db_url)
    try:
        with db.writing() as s:
            owner = caller_for_org(create_org(s, "bench"), frozenset({Scope.ADMIN}))
            list_id = create_list(s, owner, "exported").id
        for start in range(0, entries, 10_000):
            batch = [
                NewEntry(
                    (validate_hash("pdq", pdq(i), 90), validate_hash("md5", md5(i))),
                    "A1",
                    ("zorblax",),
                    f"ext-{i}",
                )
                for i in range(start, min(entries, start + 10_000))
            ]
            with db.writing() as s:
                insert_entries(s, owner, list_id, batch)

        def timed(work: object) -> tuple[float, bytes]:
            t0 = time.process_time()
            out = work()  # type: ignore[operator]
            return time.process_time() - t0, out

        def reference() -> bytes:
            with db.reading() as s:
                return "".join(export_jsonl(iter_snapshots(s, list_id))).encode()

        def fast() -> bytes:
            with db.reading() as s:
                return "".join(iter_snapshot_lines(s, list_id)).encode()

        def feed() -> bytes:
            parts, cursor = [], None
            with db.reading() as s:
                hash_list = s.get_one(HashList, list_id)
                while True:
                    page = json.loads(read_feed_json(s, hash_list, cursor, 10_000))
                    parts.append(len(page["changes"]))
                    cursor = page["next_cursor"]
                    if not page["has_more"]:
                        return str(sum(parts)).encode()

        ref_s, ref_out = timed(reference)
        new_s, new_out = timed(fast)
        feed_s, feed_out = timed(feed)
        assert new_out == ref_out, "the new export differs from the reference"
        assert int(feed_out) == entries
        with db.writing() as s:
            token = create_key(s, owner.org_id, frozenset({Scope.ADMIN}), name="bench").token
    finally:
        db.dispose()
    http_ref, http_now = export_over_http(db_url, list_id, token, ref_out)
    per = 1e6 / entries
    return {
        "export, before (reference) µs/entry": ref_s * per,
        "export, now µs/entry": new_s * per,
        "feed µs/entry": feed_s * per,
        "export speed-up (before/now)": ref_s / new_s,
        "HTTP export, before (reference): hub CPU µs/entry": http_ref * per,
        "HTTP export, now: hub CPU µs/entry": http_now * per,
        "HTTP export speed-up (before/now)": http_ref / http_now,
    }


def export_over_http(db_url: str, list_id: int, token: str, expected: bytes, runs: int = 3) -> tuple[float, float]:
    """Hub CPU seconds (best of ``runs``) to serve one export over HTTP: the reference server (``--serve-reference``:
    the export route as the hub had it before issue 17, the ORM snapshots streamed a line at a time) and
    ``sharedhash serve``, on the same database, each body checked equal to ``expected``."""
    with tempfile.TemporaryDirectory(prefix="sharedhash-bench-http-") as tmp:
        return _export_cpu(db_url, Path(tmp), list_id, token, expected, runs)


def _export_cpu(db_url: str, tmp: Path, list_id: int, token: str, expected: bytes, runs: int) -> tuple[float, float]:
    reference = Server(db_url, tmp / "reference")
    reference.command = [sys.executable, __file__, "--serve-reference", "--port", str(reference.port)]
    hub = Server(db_url, tmp / "hub")
    best: list[float] = []
    for server, path in ((reference, f"/export/{list_id}"), (hub, f"/v1/hash-lists/{list_id}/export")):
        server.start()
        try:
            times = []
            with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=600) as c:
                for _ in range(runs):
                    before = server.cpu_seconds()
                    body = c.get(path).raise_for_status().content
                    times.append(server.cpu_seconds() - before)
                    assert body == expected, f"{path} differs from the reference export"
            best.append(min(times))
        finally:
            server.stop()
    return best[0], best[1]


def serve_reference(port: int) -> None:
    """The export route as the hub served it before issue 17 (the reference of ``export_over_http``): the ORM
    snapshots of ``iter_snapshots`` as JSON lines, one streamed item per line, on uvicorn like ``sharedhash serve``."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import StreamingResponse

    from sharedhash.store.bulk import export_jsonl, iter_snapshots
    from sharedhash.store.db import open_database

    db = open_database(os.environ["SHAREDHASH_DATABASE_URL"])
    app = FastAPI()

    @app.get("/readyz")
    def ready() -> dict[str, bool]:
        return {"ready": True}

    @app.get("/export/{list_id}")
    def export(list_id: int) -> StreamingResponse:
        def body() -> Iterator[str]:
            with db.reading() as session:
                yield from export_jsonl(iter_snapshots(session, list_id))

        return StreamingResponse(body(), media_type="application/x-ndjson")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False, timeout_keep_alive=5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres-url", default=os.environ.get("SHAREDHASH_TEST_POSTGRES_URL", PG_DEFAULT))
    parser.add_argument("--import-only", action="store_true", help="measure the bulk import only")
    parser.add_argument("--export", action="store_true", help="measure the export against the old export only")
    parser.add_argument("--serve-reference", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_reference:
        serve_reference(args.port)
        return
    global IMPORT_ONLY
    IMPORT_ONLY = args.import_only
    backends = args.backend or ["sqlite"]
    results: dict[str, dict[str, float]] = {}
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix="sharedhash-bench-") as tmp:
            work = Path(tmp)

            def run(url: str, backend: str = backend, work: Path = work) -> dict[str, float]:
                return bench_export(url, args.entries) if args.export else measure(backend, url, args.entries, work)

            if backend == "sqlite":
                results[backend] = run(f"sqlite:///{work / 'hub.db'}")
                continue
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url

            name = f"sharedhash_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {name}"))
            try:
                url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
                results[backend] = run(url)
            finally:
                with admin.connect() as conn:
                    conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                admin.dispose()
    targets = {
        "import entries/s": ">= 20,000",
        "import: hub CPU s": "",
        "import: PostgreSQL server CPU s": "",
        "lookup hashes/s (batches of 1000 pdq)": ">= 20,000",
        "single lookup p50 ms (16 clients)": "",
        "single lookup p99 ms (16 clients)": "<= 20",
        "add then match on hub ms": "at once",
        "full sync into a node s": "<= 120 (1M)",
        "sync: hub CPU s": "",
        "sync: node (sync command) CPU s": "",
        "add on hub then match on node s": "<= 5",
        "server start, ready to serve s": "<= 30 (1M)",
        "export, before (reference) µs/entry": "",
        "export, now µs/entry": "",
        "feed µs/entry": "",
        "export speed-up (before/now)": "",
        "HTTP export, before (reference): hub CPU µs/entry": "",
        "HTTP export, now: hub CPU µs/entry": "",
        "HTTP export speed-up (before/now)": ">= 10",
    }
    print(f"\n{args.entries:,} entries (2 hashes each: pdq + md5)\n")
    print("| measure | " + " | ".join(backends) + " | target |")
    print("| --- | " + " | ".join("---" for _ in backends) + " | --- |")
    for key, target in targets.items():
        if not any(key in results[b] for b in backends):
            continue
        cells = [f"{results[b][key]:,.1f}" if key in results[b] else "" for b in backends]
        print(f"| {key} | " + " | ".join(cells) + f" | {target} |")


if __name__ == "__main__":
    main()

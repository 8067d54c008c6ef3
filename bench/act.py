"""Benchmark content checks (issue 12) against their reference, the plain lookup, in the same run.

    python bench/act.py --quick                          # small sizes, a few minutes (SQLite)
    python bench/act.py --entries 1000000 --backend sqlite --backend postgres      # the checks' full sizes
    python bench/act.py --retro-only --check-hashes 10000000                       # retroactive matching, 10 M

Parts (each bounded):

- **hash-only checks, batched**: ``POST /v1/content/batch`` with 10,000 items of one PDQ hash each (half 8 bits
  from a stored hash, half unrelated) against ``--entries`` stored entries (PDQ + md5), beside ``POST /v1/lookup``
  with the same 10,000 hashes (the reference: the lookup a check makes, without recording anything);
- **single checks at 16 concurrent clients**: ``POST /v1/content`` with one PDQ hash and a new content id each,
  beside single ``POST /v1/lookup`` at the same concurrency (p50, p99);
- **file checks**: ``POST /v1/content`` with a 1920x1080 JPEG beside ``POST /v1/lookup/file`` with the same file
  (which hashes it the same way): the difference is what recording a check costs on top of the hashing;
- **retroactive matching** (in process, on each ``--backend``): ``--check-hashes`` stored check hashes (half PDQ,
  half md5, one check per pair), then 10,000 new PDQ entries in one import (100 of them within 8 bits of a stored
  check's PDQ); the time from the import's commit until the retroactive round has recorded the matches (the round
  itself; the server runs it every ``SHAREDHASH_RETROACTIVE_SECONDS``, 0.5 s by default, so add up to that).

Servers are real ``sharedhash serve`` processes on loopback. The single checks and their reference are driven by
``wrk`` (one C process, closed loop, 16 keep-alive connections; Debian: ``apt-get install wrk``) with a Lua script
that makes a new content id for every check, so the generator takes little of the CPU the server needs on the same
2 cores; without wrk they fall back (with a message) to asyncio + httpx in this process, which costs about 1 ms of
CPU per request and makes the figures a floor. The other parts use httpx (one request at a time).
``--singles-only`` runs only the single checks and their reference.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from sharedhash.settings import Settings

BIN = Path(sys.executable).parent / "sharedhash"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BATCH = 10_000
WRK = shutil.which("wrk") is not None


def pdq(i: int) -> str:
    return hashlib.sha256(f"act-pdq-{i}".encode()).hexdigest()


def md5(i: int) -> str:
    return hashlib.md5(f"act-md5-{i}".encode()).hexdigest()


def flip(value: str, bits: int, rng: random.Random) -> str:
    n = int(value, 16)
    for b in rng.sample(range(256), bits):
        n ^= 1 << b
    return f"{n:064x}"


def near_or_new(rng: random.Random, entries: int, n: int) -> list[str]:
    """``n`` PDQ query values: half 8 bits from one of ``entries`` stored hashes, half unrelated."""
    return [
        flip(pdq(rng.randrange(entries)), 8, rng) if rng.random() < 0.5 else pdq(entries + rng.randrange(10**9))
        for _ in range(n)
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """A ``sharedhash serve`` subprocess on its own database."""

    def __init__(self, db_url: str, data_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = os.environ | {"SHAREDHASH_DATABASE_URL": db_url, "SHAREDHASH_DATA_DIR": str(data_dir)}
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> str:
        return subprocess.run([str(BIN), *args], env=self.env, check=True, capture_output=True, text=True).stdout

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [str(BIN), "serve", "--port", str(self.port), "--log-level", "warning"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while True:
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError("the server exited during start")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=120)
            self.proc = None


def _import(client: httpx.Client, list_id: int, entries: int) -> None:
    for first in range(0, entries, 100_000):
        lines = b"".join(
            json.dumps(
                {
                    "hashes": [
                        {"hash_type": "pdq", "value": pdq(i), "quality": 90},
                        {"hash_type": "md5", "value": md5(i)},
                    ]
                },
                separators=(",", ":"),
            ).encode()
            + b"\n"
            for i in range(first, min(first + 100_000, entries))
        )
        r = client.post(f"/v1/hash-lists/{list_id}/import", content=lines, timeout=3600)
        r.raise_for_status()


def _wait_warm(client: httpx.Client) -> None:
    """Until the indexes have merged the import (lookups are slower meanwhile)."""
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        body = client.get("/readyz").json()
        if not body.get("compacting") and not body.get("entry_cache", {}).get("warming"):
            return
        time.sleep(0.5)


#: The wrk script of the single checks and lookups: one PDQ hash each, cycling through the values in a file; a
#: check gets a content id new to the run (``nonce``, wrk's thread and a counter). ``done`` prints one line of JSON.
_WRK_SCRIPT = """
local values = {}
local headers = {}
local path, kind, nonce = "/", "lookup", "x"
local i, n = 0, 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function init(args)
  for line in io.lines(args[1]) do values[#values + 1] = line end
  path, kind, nonce = args[2], args[3], args[4]
  headers["Content-Type"] = "application/json"
  headers["Authorization"] = "Bearer " .. args[5]
  i = (tid * 997) % #values
end
function request()
  i = i % #values + 1
  n = n + 1
  local hash = '{"hash_type":"pdq","value":"' .. values[i] .. '"}'
  local body
  if kind == "check" then
    local id = 's-' .. nonce .. '-' .. tid .. '-' .. n
    body = '{"content_id":"' .. id .. '","content_type":"image","hashes":[' .. hash .. ']}'
  else
    body = '{"hashes":[' .. hash .. ']}'
  end
  return wrk.format("POST", path, headers, body)
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests": %d, "seconds": %f, "p50_ms": %f, "p99_ms": %f, "errors": %d}\\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout + e.status))
end
"""


def _server_cpu(server: Server) -> float:
    """CPU seconds the server process has used (user + system)."""
    assert server.proc is not None
    fields = Path(f"/proc/{server.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drive_wrk(
    server: Server, token: str, kind: str, values: list[str], clients: int, seconds: float
) -> dict[str, float]:
    """``clients`` keep-alive connections (one wrk thread, closed loop) sending single checks (``kind`` "check",
    ``POST /v1/content``) or single lookups ("lookup") of ``values`` for ``seconds``; requests/s, p50, p99 (ms),
    the server's CPU per request."""
    path = "/v1/content" if kind == "check" else "/v1/lookup"
    with tempfile.TemporaryDirectory(prefix="sharedhash-wrk-") as tmp:
        script, data = Path(tmp) / "single.lua", Path(tmp) / "values.txt"
        script.write_text(_WRK_SCRIPT)
        data.write_text("\n".join(values) + "\n")
        cpu0 = _server_cpu(server)
        run = subprocess.run(
            ["wrk", "-t", "1", "-c", str(clients), "-d", f"{max(1, round(seconds))}s", "--timeout", "30s",
             "-s", str(script), server.url, "--", str(data), path, kind, uuid.uuid4().hex[:8], token],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        cpu = _server_cpu(server) - cpu0
    if run.returncode != 0:
        raise RuntimeError(f"wrk failed: {run.stderr.strip() or run.stdout.strip()}")
    stats = json.loads(next(x for x in run.stdout.splitlines() if x.startswith("WRK "))[4:])
    if stats["errors"]:
        raise RuntimeError(f"{stats['errors']} requests failed during the measurement")
    return {
        "requests/s": stats["requests"] / stats["seconds"],
        "p50 ms": stats["p50_ms"],
        "p99 ms": stats["p99_ms"],
        "requests": float(stats["requests"]),
        "server CPU us/request": cpu * 1e6 / max(stats["requests"], 1),
    }


async def _drive(
    url: str, token: str, requests: Callable[[int], tuple[str, bytes]], clients: int, seconds: float
) -> dict[str, float]:
    """``clients`` concurrent connections sending ``requests(i)`` for ``seconds``; requests/s, p50, p99 (ms)."""
    latencies: list[float] = []
    errors = 0
    counter = 0
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    deadline = time.perf_counter() + seconds
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as client:

        async def worker() -> None:
            nonlocal errors, counter
            while time.perf_counter() < deadline:
                counter += 1
                path, body = requests(counter)
                t0 = time.perf_counter()
                r = await client.post(path, content=body)
                latencies.append(time.perf_counter() - t0)
                errors += r.status_code != 200

        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        took = time.perf_counter() - began
    if errors:
        raise RuntimeError(f"{errors} requests failed")
    latencies.sort()
    return {
        "requests/s": len(latencies) / took,
        "p50 ms": statistics.median(latencies) * 1000,
        "p99 ms": latencies[max(0, int(len(latencies) * 0.99) - 1)] * 1000,
        "requests": float(len(latencies)),
    }


def _jpeg() -> bytes:
    from sharedhash.hashing.samples import make_sample

    image = make_sample("shapes", seed=11).resize((1920, 1080))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def bench_hub(
    backend: str, db_url: str, entries: int, work: Path, seconds: float, rounds: int, *, singles_only: bool = False
) -> dict[str, float]:
    out: dict[str, float] = {}
    server = Server(db_url, work / "hub")
    token = json.loads(server.cli("org", "create", "bench", "--json"))["api_key"]
    server.start()
    try:
        client = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}, timeout=600)
        lst = client.post("/v1/hash-lists", json={"name": "bench", "pdq_threshold": 31}).json()
        began = time.perf_counter()
        _import(client, lst["id"], entries)
        print(f"  [{backend}] imported {entries:,} entries in {time.perf_counter() - began:.1f} s", file=sys.stderr)
        _wait_warm(client)
        rng = random.Random(1)

        def values(n: int) -> list[str]:
            return near_or_new(rng, entries, n)

        # Batched hash-only checks against the plain lookup of the same hashes, interleaved round by round.
        lookup_rates, check_rates, matched = [], [], 0
        for r in range(0 if singles_only else rounds):
            batch = values(BATCH)
            t0 = time.perf_counter()
            found = client.post("/v1/lookup", json={"hashes": [{"hash_type": "pdq", "value": v} for v in batch]})
            lookup_rates.append(BATCH / (time.perf_counter() - t0))
            found.raise_for_status()
            items = [
                {
                    "content_id": f"b{r}-{i}-{uuid.uuid4().hex[:6]}",
                    "content_type": "image",
                    "hashes": [{"hash_type": "pdq", "value": v}],
                }
                for i, v in enumerate(batch)
            ]
            t0 = time.perf_counter()
            answer = client.post("/v1/content/batch", json={"items": items})
            check_rates.append(BATCH / (time.perf_counter() - t0))
            answer.raise_for_status()
            matched += sum(c["matched"] for c in answer.json()["checks"])
        if not singles_only:
            assert matched >= rounds * BATCH * 0.4, matched
            out["batched checks hashes/s"] = statistics.median(check_rates)
            out["batched lookup hashes/s (reference)"] = statistics.median(lookup_rates)
            print(f"  [{backend}] batches: checks {check_rates}, lookups {lookup_rates}", file=sys.stderr)

        # Single checks at 16 concurrent clients, against single lookups.
        singles = values(5000)

        def lookup_request(i: int) -> tuple[str, bytes]:
            return "/v1/lookup", json.dumps({"hashes": [{"hash_type": "pdq", "value": singles[i % 5000]}]}).encode()

        def check_request(i: int) -> tuple[str, bytes]:
            body = {"content_id": f"s-{i}-{uuid.uuid4().hex[:8]}", "content_type": "image",
                    "hashes": [{"hash_type": "pdq", "value": singles[i % 5000]}]}  # fmt: skip
            return "/v1/content", json.dumps(body).encode()

        # Round by round, the reference first; each figure is the median of the rounds.
        refs, gots = [], []
        for _ in range(rounds):
            if WRK:
                refs.append(_drive_wrk(server, token, "lookup", singles, 16, seconds))
                gots.append(_drive_wrk(server, token, "check", singles, 16, seconds))
            else:
                refs.append(asyncio.run(_drive(server.url, token, lookup_request, 16, seconds)))
                gots.append(asyncio.run(_drive(server.url, token, check_request, 16, seconds)))
        for name, runs in (("lookups", refs), ("checks", gots)):
            shown = [f"{r['requests/s']:.0f}/s p50 {r['p50 ms']:.1f} p99 {r['p99 ms']:.1f} ms" for r in runs]
            print(f"  [{backend}] single {name}, 16 clients: {'; '.join(shown)}", file=sys.stderr)

        def median(runs: list[dict[str, float]], key: str) -> float:
            return statistics.median(r[key] for r in runs)

        out["single check p50 ms (16 clients)"] = median(gots, "p50 ms")
        out["single check p99 ms (16 clients)"] = median(gots, "p99 ms")
        out["single check requests/s (16 clients)"] = median(gots, "requests/s")
        out["single lookup p50 ms (16 clients, reference)"] = median(refs, "p50 ms")
        out["single lookup p99 ms (16 clients, reference)"] = median(refs, "p99 ms")
        out["single lookup requests/s (16 clients, reference)"] = median(refs, "requests/s")
        if WRK:
            out["single check server CPU us/request"] = median(gots, "server CPU us/request")
            out["single lookup server CPU us/request (reference)"] = median(refs, "server CPU us/request")
        if singles_only:
            return out

        # File checks against file lookups of the same JPEG (the same hashing), interleaved.
        data = _jpeg()
        file_lookup, file_check = [], []
        for i in range(max(10, rounds * 4)):
            t0 = time.perf_counter()
            client.post("/v1/lookup/file", files={"file": ("a.jpg", data)}).raise_for_status()
            file_lookup.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            client.post(
                "/v1/content", files={"file": ("a.jpg", data)}, data={"content_id": f"f-{i}", "content_type": "image"}
            ).raise_for_status()
            file_check.append(time.perf_counter() - t0)
        out["file check ms (1920x1080 JPEG)"] = statistics.median(file_check) * 1000
        out["file lookup ms (same file, reference)"] = statistics.median(file_lookup) * 1000
        out["file check minus file lookup ms"] = (
            out["file check ms (1920x1080 JPEG)"] - out["file lookup ms (same file, reference)"]
        )
    finally:
        server.stop()
    return out


def bench_retro(check_hashes: int, work: Path, url: str | None = None) -> dict[str, float]:
    """Retroactive matching in process (SQLite, or the database at ``url``): the round's time after 10,000 new PDQ
    entries are committed."""
    from fastapi.testclient import TestClient

    from sharedhash.server.act import service
    from sharedhash.server.app import create_app
    from sharedhash.settings import Settings
    from sharedhash.store import checks as store
    from sharedhash.store.db import open_database
    from sharedhash.store.models import Scope, utcnow
    from sharedhash.store.orgs import create_key, create_org

    url = url or f"sqlite:///{work / 'retro.db'}"
    db = open_database(url)
    with db.writing() as s:
        org = create_org(s, "bench", is_operator=True)
        token = create_key(s, org.id, frozenset({Scope.ADMIN})).token
        org_id = org.id
    pairs = check_hashes // 2
    began = time.perf_counter()
    now = utcnow()
    # Written through the store's own columnar writers (the ones a batch of checks uses), 100,000 checks a time.
    for first in range(0, pairs, 100_000):
        rows = range(first, min(first + 100_000, pairs))
        with db.writing() as s:
            ids = store.write_checks(
                s,
                org_id,
                now,
                [
                    (
                        f"k{i}",
                        f"c{i}",
                        "image",
                        None,
                        None,
                        None,
                        "[]",
                        json.dumps(
                            [{"type": "pdq", "value": pdq(10**9 + i)}, {"type": "md5", "value": md5(10**9 + i)}]
                        ),
                        False,
                        "[]",
                    )
                    for i in rows
                ],
            )
            store.write_check_hashes(
                s,
                org_id,
                now,
                [
                    (c, t, v)
                    for c, i in zip(ids, rows, strict=True)
                    for t, v in (("pdq", pdq(10**9 + i)), ("md5", md5(10**9 + i)))
                ],
            )
    db.dispose()
    out = {"stored check hashes": float(pairs * 2), "writing them s": time.perf_counter() - began}
    print(f"  [retro] {pairs * 2:,} check hashes written in {out['writing them s']:.1f} s", file=sys.stderr)
    settings = Settings(
        data_dir=work / "data", database_url=url, retroactive_seconds=3600.0, check_purge_seconds=3600.0
    )
    began = time.perf_counter()
    with TestClient(create_app(settings)) as client:
        state = client.app.state.hub  # type: ignore[attr-defined]
        state.check_hashes.ready.wait(3600)
        out["building the check index at start s"] = time.perf_counter() - began
        auth = {"Authorization": f"Bearer {token}"}
        lst = client.post("/v1/hash-lists", json={"name": "new"}, headers=auth).json()
        rng = random.Random(3)
        near = set(rng.sample(range(10_000), 100))
        lines = b"".join(
            json.dumps(
                {
                    "hashes": [
                        {
                            "hash_type": "pdq",
                            "value": flip(pdq(10**9 + rng.randrange(pairs)), 8, rng)
                            if i in near
                            else pdq(5 * 10**9 + i),
                            "quality": 90,
                        }
                    ]
                },
                separators=(",", ":"),
            ).encode()
            + b"\n"
            for i in range(10_000)
        )
        state.check_hashes.take_new()
        r = client.post(f"/v1/hash-lists/{lst['id']}/import", content=lines, headers=auth)
        committed = time.perf_counter()
        r.raise_for_status()
        made = service.run_retroactive(state)
        out["retroactive round after 10,000 new pdq s"] = time.perf_counter() - committed
        out["retroactive matches made"] = float(made)
        assert made >= 100, made
        # The same hashes again: nothing new (no rescan, no duplicates).
        assert service.run_retroactive(state) == 0
    return out


TARGETS = {
    "batched checks hashes/s": ">= 20,000",
    "batched lookup hashes/s (reference)": "",
    "single check p50 ms (16 clients)": "",
    "single check p99 ms (16 clients)": "<= 20",
    "single check requests/s (16 clients)": "",
    "single lookup p50 ms (16 clients, reference)": "",
    "single lookup p99 ms (16 clients, reference)": "",
    "single lookup requests/s (16 clients, reference)": "",
    "single check server CPU us/request": "",
    "single lookup server CPU us/request (reference)": "",
    "file check ms (1920x1080 JPEG)": "",
    "file lookup ms (same file, reference)": "",
    "file check minus file lookup ms": "<= 10",
    "stored check hashes": "10 M",
    "writing them s": "",
    "building the check index at start s": "",
    "retroactive round after 10,000 new pdq s": "<= 10",
    "retroactive matches made": ">= 100",
}


def bench_org(url: str, work: Path) -> tuple[int, str, Settings]:
    """An operator org with an admin key in the database at ``url``, and the settings of an in-process hub on it
    (retroactive rounds and the retention purge out of the way): (org id, key token, settings)."""
    from sharedhash.settings import Settings
    from sharedhash.store.db import open_database
    from sharedhash.store.models import Scope
    from sharedhash.store.orgs import create_key, create_org

    db = open_database(url)
    with db.writing() as s:
        org = create_org(s, "bench", is_operator=True)
        org_id, token = org.id, create_key(s, org.id, frozenset({Scope.ADMIN})).token
    db.dispose()
    settings = Settings(
        data_dir=work / "data", database_url=url, retroactive_seconds=3600.0, check_purge_seconds=3600.0
    )
    return org_id, token, settings


def on_backend(args: argparse.Namespace, prefix: str, bench: Callable[[argparse.Namespace, str, Path], None]) -> None:
    """Run an in-process bench ``bench(args, database url, work folder)`` on ``args.backend``: a SQLite file in a
    new folder, or a scratch PostgreSQL database (:func:`scratch_postgres`) on ``args.postgres_url``."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    if args.backend == "sqlite":
        bench(args, f"sqlite:///{work / 'bench.db'}", work)
        return
    with scratch_postgres(args.postgres_url) as url:
        bench(args, url, work)


@contextmanager
def scratch_postgres(postgres_url: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database on the server of ``postgres_url``, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"sharedhash_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--check-hashes", type=int, default=10_000_000)
    parser.add_argument("--backend", action="append", choices=["sqlite", "postgres"])
    parser.add_argument("--postgres-url", default=os.environ.get("SHAREDHASH_TEST_POSTGRES_URL", PG_DEFAULT))
    parser.add_argument("--seconds", type=float, default=20.0, help="each concurrent measurement's length")
    parser.add_argument("--rounds", type=int, default=5, help="batches and file checks per measurement")
    parser.add_argument("--quick", action="store_true", help="100,000 entries, 1 M check hashes, short runs")
    parser.add_argument("--retro-only", action="store_true")
    parser.add_argument("--checks-only", action="store_true")
    parser.add_argument("--singles-only", action="store_true", help="only the single checks and their reference")
    args = parser.parse_args()
    if args.singles_only:
        args.checks_only = True
    if not WRK:
        print(
            "wrk not found (Debian: apt-get install wrk): the single checks fall back to asyncio + httpx in this "
            "process, which takes about 1 ms of CPU per request from the server's 2 cores (figures are a floor)",
            file=sys.stderr,
        )
    if args.quick:
        args.entries, args.check_hashes, args.seconds, args.rounds = 100_000, 1_000_000, 8.0, 3
    backends = args.backend or ["sqlite"]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="sharedhash-bench-act-") as tmp:
        work = Path(tmp)
        if not args.retro_only:
            for backend in backends:
                if backend == "sqlite":
                    results[backend] = bench_hub(
                        backend,
                        f"sqlite:///{work / 'hub.db'}",
                        args.entries,
                        work,
                        args.seconds,
                        args.rounds,
                        singles_only=args.singles_only,
                    )
                    continue
                with scratch_postgres(args.postgres_url) as url:
                    results[backend] = bench_hub(
                        backend,
                        url,
                        args.entries,
                        work / "pg",
                        args.seconds,
                        args.rounds,
                        singles_only=args.singles_only,
                    )
        if not args.checks_only:
            for backend in backends:
                if backend == "sqlite":
                    results.setdefault("sqlite", {}).update(bench_retro(args.check_hashes, work))
                    continue
                with scratch_postgres(args.postgres_url) as url:
                    (work / "retro-pg").mkdir(exist_ok=True)
                    results.setdefault(backend, {}).update(bench_retro(args.check_hashes, work / "retro-pg", url))
    columns = [b for b in ("sqlite", "postgres") if b in results]
    print(
        f"\n{args.entries:,} stored entries (pdq + md5); {args.check_hashes:,} check hashes for the retroactive part\n"
    )
    print("| measure | " + " | ".join(columns) + " | target |")
    print("| --- | " + " | ".join("---:" for _ in columns) + " | --- |")
    for key, target in TARGETS.items():
        if any(key in results[c] for c in columns):
            cells = [f"{results[c][key]:,.1f}" if key in results[c] else "" for c in columns]
            print(f"| {key} | " + " | ".join(cells) + f" | {target} |")


if __name__ == "__main__":
    main()

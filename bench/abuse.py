"""Load and abuse benchmark of a real ``sharedhash serve`` on loopback (issue 18): memory peak, loop stall, errors.

    python bench/abuse.py                      # every part, SQLite, a few minutes
    python bench/abuse.py --only memory,loop   # some parts

Each part prints a table of what it measured beside the issue's target for it, measured in the same run:

- memory: ``--uploads`` (20) concurrent ``POST /v1/lookup/file`` of a 200 MP grey PNG (the issue's 190 KB file;
  before the budget, one added 1.5 GB and four reached 7.3 GB). The server's resident memory is sampled every
  20 ms; target: its peak stays under the decode budget + 300 MB, and every request answers (200 or 503 ``busy``).
- loop: ``/healthz`` latency (p50, p99, max; one request at a time) alone, then while hostile requests run: 10 MB
  lookup bodies (170,000 hashes, over the limit) and unauthenticated 16 MB bodies, from 4 connections. Target:
  p99 <= 50 ms.
- import: a 110 MB junk import (every line bad) runs while single entry writes are sent one at a time; target:
  every write succeeds, the slowest within 1 s.
- connections: 500 concurrent connections of lookups with fresh keys (each key's last-used time due); target:
  answers or 503s, never a 500, and the p99. A lookup lost to the client's keep-alive race (sent on a pooled
  connection the server had closed after 5 s idle; see ``_keep_alive_race``) is sent once more and counted.
- oracle: the public deterrence check for an org that exists (public mode off) and for an unknown name, 200
  interleaved requests each, the difference of the medians (target < 100 us).

The server runs as its own process with its default settings (``bench/hub.py``'s ``Server``).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from hub import Server, _key_for  # noqa: E402

PARTS = ("memory", "loop", "import", "connections", "oracle")
MIB = 1024 * 1024


def _rss(pid: int) -> int:
    """Resident memory of ``pid`` in bytes (Linux /proc), 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class RssSampler:
    """The peak resident memory of a process, sampled every 20 ms in a thread."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = _rss(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss(self.pid))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def _ms(values: list[float], q: float) -> str:
    return f"{_percentile(values, q) * 1000:.1f}"


def _table(title: str, rows: list[tuple[str, str, str, bool | None]]) -> None:
    print(f"\n## {title}\n")
    print(f"| {'figure':<46} | {'measured':>18} | {'target':>22} | ok  |")
    print(f"| {'-' * 46} | {'-' * 17}: | {'-' * 21}: | --- |")
    for name, measured, target, ok in rows:
        mark = "" if ok is None else ("yes" if ok else "NO")
        print(f"| {name:<46} | {measured:>18} | {target:>22} | {mark:<3} |")
    sys.stdout.flush()


def grey_png(side: int) -> bytes:
    """A ``side`` x ``side`` grey PNG (200 MP for 14142): a few hundred KB that decode to ``side``^2 bytes."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (side, side), 128).save(out, "PNG", optimize=False, compress_level=9)
    return out.getvalue()


def bench_memory(server: Server, token: str, uploads: int) -> None:
    assert server.proc is not None
    data = grey_png(14142)
    budget = int(server.env.get("SHAREDHASH_DECODE_MEMORY_BYTES", 1024 * MIB))
    baseline = _rss(server.proc.pid)
    statuses: Counter[str] = Counter()
    times: list[float] = []

    async def one(client: httpx.AsyncClient) -> None:
        began = time.perf_counter()
        try:
            r = await client.post(
                "/v1/lookup/file",
                files={"file": ("grey.png", data, "image/png")},
                headers={"Authorization": f"Bearer {token}"},
            )
            code = r.json().get("error", {}).get("code", "") if r.status_code != 200 else ""
            statuses[f"{r.status_code} {code}".strip()] += 1
        except httpx.HTTPError as exc:
            statuses[f"no answer ({type(exc).__name__})"] += 1
        times.append(time.perf_counter() - began)

    async def run() -> None:
        async with httpx.AsyncClient(base_url=server.url, timeout=300) as client:
            await asyncio.gather(*(one(client) for _ in range(uploads)))

    began = time.perf_counter()
    with RssSampler(server.proc.pid) as sampler:
        asyncio.run(run())
    elapsed = time.perf_counter() - began
    answered = sum(n for s, n in statuses.items() if s.startswith(("200", "503")))
    _table(
        f"memory: {uploads} concurrent 200 MP grey PNG uploads ({len(data) / 1024:,.0f} KB each) in {elapsed:.1f} s",
        [
            ("server RSS before (MB)", f"{baseline / MIB:,.0f}", "", None),
            ("server RSS peak (MB)", f"{sampler.peak / MIB:,.0f}", f"< {(budget + 300 * MIB) / MIB:,.0f}",
             sampler.peak < budget + 300 * MIB),
            ("answers (status: count)", ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())), "", None),
            ("requests answered 200 or 503", f"{answered}/{uploads}", f"{uploads}/{uploads}", answered == uploads),
            ("slowest answer (s)", f"{max(times):.1f}", "", None),
        ],
    )  # fmt: skip


def lookup_body(hashes: int, pad_to: int = 0) -> bytes:
    """A lookup body of ``hashes`` md5 values (170,000: about 10 MB), padded with spaces to ``pad_to`` bytes."""
    body = b'{"hashes": [' + b",".join(b'{"hash_type": "md5", "value": "%032x"}' % i for i in range(hashes)) + b"]}"
    return body + b" " * max(0, pad_to - len(body))


def healthz_latencies(url: str, seconds: float) -> list[float]:
    """``/healthz`` one request at a time for ``seconds``: each answer's latency in seconds."""
    out: list[float] = []
    with httpx.Client(base_url=url, timeout=30) as client:
        stop = time.perf_counter() + seconds
        while time.perf_counter() < stop:
            began = time.perf_counter()
            client.get("/healthz")
            out.append(time.perf_counter() - began)
            time.sleep(0.005)
    return out


def _hostile_loop(url: str, token: str, stop: threading.Event, statuses: Counter[str], kind: int) -> None:
    big = lookup_body(170_000)
    unauthenticated = lookup_body(1000, pad_to=16 * MIB - 4096)
    with httpx.Client(base_url=url, timeout=60) as client:
        while not stop.is_set():
            try:
                if kind % 2 == 0:
                    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
                    r = client.post("/v1/lookup", content=big, headers=headers)
                else:
                    r = client.post(
                        "/v1/hash-lists", content=unauthenticated, headers={"content-type": "application/json"}
                    )
                statuses[str(r.status_code)] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1


def bench_loop(server: Server, token: str, seconds: float = 10.0) -> None:
    quiet = healthz_latencies(server.url, seconds / 2)
    stop = threading.Event()
    statuses: Counter[str] = Counter()
    threads = [
        threading.Thread(target=_hostile_loop, args=(server.url, token, stop, statuses, k), daemon=True)
        for k in range(4)
    ]
    for t in threads:
        t.start()
    time.sleep(0.5)
    loaded = healthz_latencies(server.url, seconds)
    stop.set()
    for t in threads:
        t.join()
    p99 = _percentile(loaded, 0.99)
    _table(
        "loop: /healthz latency alone, then beside 10 MB lookup bodies and unauthenticated 16 MB bodies",
        [
            ("alone: p50 / p99 (ms)", f"{_ms(quiet, 0.5)} / {_ms(quiet, 0.99)}", "", None),
            ("under hostile load: p50 (ms)", f"{_percentile(loaded, 0.5) * 1000:.1f}", "", None),
            ("under hostile load: p99 (ms)", f"{p99 * 1000:.1f}", "<= 50", p99 <= 0.05),
            ("under hostile load: max (ms)", f"{max(loaded) * 1000:.1f}", "", None),
            ("/healthz requests measured", f"{len(loaded)}", "", None),
            ("hostile answers (status: count)", ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())), "", None),
        ],
    )  # fmt: skip


def _keys_for(server: Server, org: str, count: int, scope: str = "READ") -> list[str]:
    """``count`` new keys of ``org`` with ``scope`` (never used: each first request reads it and notes its use)."""
    code = (
        "from sharedhash.settings import get_settings;from sharedhash.store.db import database_url, open_database;"
        "from sharedhash.store.orgs import create_key, get_org_by_name;from sharedhash.store.models import Scope;"
        f"db=open_database(database_url(get_settings()))\nwith db.writing() as s:\n org=get_org_by_name(s, {org!r})\n"
        f" for _ in range({count}): print(create_key(s, org.id, frozenset({{Scope.{scope}}})).token)"
    )
    out = subprocess.run([sys.executable, "-c", code], env=server.env, check=True, capture_output=True, text=True)
    return out.stdout.split()


def _keep_alive_race(exc: httpx.HTTPError) -> bool:
    """Whether a request failed in the client's keep-alive race, before any byte of an answer: it went out on a
    pooled connection the server had already closed after ``timeout_keep_alive`` (5 s) idle (the server's reset:
    ``BrokenResourceError``; its FIN: "Server disconnected without sending a response"), or httpcore's pool closed
    that connection under it when it saw the server's FIN (``ClosedResourceError``: the client's own close;
    encode/httpcore#1110). The server never read such a request: the one retry of a read-only lookup is what
    RFC 9112 section 9.3.1 allows a client. Measured in docs/benchmarks.md (issue 18, "On a quiet machine")."""
    import anyio

    if isinstance(exc, httpx.RemoteProtocolError):
        return "without sending a response" in str(exc)
    if not isinstance(exc, httpx.ReadError | httpx.WriteError):
        return False
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, anyio.ClosedResourceError | anyio.BrokenResourceError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def bench_connections(server: Server, connections: int = 500, rounds: int = 3) -> None:
    tokens = _keys_for(server, "bench", 250)
    body = lookup_body(3)
    statuses: Counter[str] = Counter()
    times: list[float] = []

    retried = 0

    async def one(client: httpx.AsyncClient, i: int) -> None:
        nonlocal retried
        headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}", "content-type": "application/json"}
        for _ in range(rounds):
            began = time.perf_counter()
            for attempt in (1, 2):
                try:
                    r = await client.post("/v1/lookup", content=body, headers=headers)
                    statuses[str(r.status_code)] += 1
                except httpx.HTTPError as exc:
                    if attempt == 1 and _keep_alive_race(exc):
                        retried += 1
                        continue
                    statuses[type(exc).__name__] += 1
                break
            times.append(time.perf_counter() - began)

    async def run() -> None:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        async with httpx.AsyncClient(base_url=server.url, timeout=120, limits=limits) as client:
            await asyncio.gather(*(one(client, i) for i in range(connections)))

    began = time.perf_counter()
    asyncio.run(run())
    elapsed = time.perf_counter() - began
    total = connections * rounds
    fives = sum(n for s, n in statuses.items() if s.startswith("5") and s != "503")
    answered = sum(n for s, n in statuses.items() if s.isdigit())
    _table(
        f"connections: {connections} concurrent connections, {len(tokens)} keys never used before, "
        f"{rounds} lookups each ({elapsed:.1f} s)",
        [
            ("answers (status: count)", ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items())), "", None),
            ("500s (and other 5xx but 503)", f"{fives}", "0", fives == 0),
            ("answered (any status)", f"{answered}/{total}", f"{total}/{total}", answered == total),
            ("sent again after the keep-alive race (see doc)", f"{retried}", "", None),
            ("latency p50 / p99 (ms)", f"{_ms(times, 0.5)} / {_ms(times, 0.99)}", "", None),
        ],
    )  # fmt: skip


def bench_import(server: Server, megabytes: int = 110) -> None:
    (admin,) = _keys_for(server, "bench", 1, "ADMIN")
    auth = {"Authorization": f"Bearer {admin}"}
    with httpx.Client(base_url=server.url, timeout=600, headers=auth) as client:
        list_id = client.post("/v1/hash-lists", json={"name": "abuse"}).json()["id"]
        line = b'{"hashes": [{"hash_type": "md5", "value": "zorblax"}], "labels": ["' + b"x" * 200 + b'"]}\n'
        junk = line * (megabytes * MIB // len(line))
        outcome: dict[str, Any] = {}

        def junk_import() -> None:
            began = time.perf_counter()
            with httpx.Client(base_url=server.url, timeout=600, headers=auth) as other:
                r = other.post(f"/v1/hash-lists/{list_id}/import", content=junk)
            outcome.update(status=r.status_code, seconds=time.perf_counter() - began, lines=r.json().get("lines"))

        thread = threading.Thread(target=junk_import)
        thread.start()
        time.sleep(0.5)
        writes: list[float] = []
        statuses: Counter[str] = Counter()
        n = 0
        while thread.is_alive():
            n += 1
            body = {"hashes": [{"hash_type": "md5", "value": f"{n:032x}"}]}
            began = time.perf_counter()
            r = client.post(f"/v1/hash-lists/{list_id}/entries", json=body)
            writes.append(time.perf_counter() - began)
            statuses[str(r.status_code)] += 1
            time.sleep(0.05)
        thread.join()
    ok = statuses.get("201", 0) == len(writes)
    answer = f"{outcome.get('status')}, {outcome.get('seconds', 0):.1f} s"
    written = ", ".join(f"{s}: {c}" for s, c in sorted(statuses.items()))
    _table(
        f"import: a {len(junk) / MIB:,.0f} MB junk import ({outcome.get('lines', 0):,} bad lines) beside single writes",
        [
            ("junk import answer (status, seconds)", answer, "400", outcome.get("status") == 400),
            ("single writes meanwhile (status: count)", written, "all 201", ok),
            ("single write p50 / max (ms)", f"{_ms(writes, 0.5)} / {max(writes) * 1000:.1f}", "max < 1000",
             max(writes) < 1.0),
        ],
    )  # fmt: skip


def bench_oracle(server: Server, rounds: int = 200) -> None:
    times: dict[str, list[float]] = {"bench": [], "zorblax-no-such-org": []}
    answers: Counter[str] = Counter()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        for i in range(rounds + 5):
            for org in list(times) if i % 2 else list(times)[::-1]:
                began = time.perf_counter()
                r = client.post(f"/v1/orgs/{org}/deterrence/check", json={"query": "zorblax"})
                took = time.perf_counter() - began
                if i >= 5:  # the first rounds fill the caches
                    times[org].append(took)
                    answers[f"{org}: {r.status_code}"] += 1
    existing, unknown = (statistics.median(v) for v in times.values())
    difference = abs(existing - unknown)
    _table(
        f"oracle: public check, an org without public mode vs an unknown name, {rounds} interleaved each",
        [
            ("answers", ", ".join(f"{s} x{n}" for s, n in sorted(answers.items())), "both 404", None),
            ("median: existing org / unknown name (us)", f"{existing * 1e6:.0f} / {unknown * 1e6:.0f}", "", None),
            ("difference of the medians (us)", f"{difference * 1e6:.0f}", "< 100", difference < 100e-6),
        ],
    )  # fmt: skip


PARTS_RUN: dict[str, Callable[..., None]] = {
    "memory": bench_memory,
    "loop": bench_loop,
    "connections": bench_connections,
    "import": bench_import,
    "oracle": bench_oracle,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated parts of: {', '.join(PARTS)}")
    parser.add_argument("--uploads", type=int, default=20)
    parser.add_argument("--db", default=None, help="SQLAlchemy URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    wanted = [p.strip() for p in args.only.split(",") if p.strip()]
    print(f"bench/abuse.py on {os.cpu_count()} cores; parts: {', '.join(wanted)}")
    with tempfile.TemporaryDirectory(prefix="sharedhash-abuse-") as tmp:
        url = args.db or f"sqlite:///{tmp}/hub.db"
        server = Server(url, Path(tmp))
        server.cli("org", "create", "bench", "--if-missing")
        server.start()
        try:
            token = _key_for(server, "bench")
            context: dict[str, Any] = {"server": server, "token": token, "uploads": args.uploads, "tmp": Path(tmp)}
            for part in wanted:
                run = PARTS_RUN.get(part)
                if run is None:
                    print(f"\n## {part}: not measured in this version")
                    continue
                run(**{k: v for k, v in context.items() if k in run.__code__.co_varnames})
        finally:
            server.stop()


if __name__ == "__main__":
    main()

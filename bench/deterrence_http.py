"""Benchmark ``POST /v1/deterrence/check`` through a real ``sharedhash serve`` on loopback.

    python bench/deterrence_http.py --rules 10000 --connections 16 --seconds 10

A fresh SQLite hub (new data directory) gets an org whose 10,000 generated placeholder rules are imported as a
hash list of type ``term``; once the rules are compiled, ``wrk`` (``apt-get install wrk``; one C process, driven
by a small Lua script that cycles through prepared bodies) sends checks from ``--connections`` connections. It
reports checks/s, p50/p99 latency and the server's CPU time per check (from /proc), for benign queries (common
words, nothing deterred) and for obfuscated rule variants (every answer deterred: message, links, counters), with
and without an API key (the public path). The server and its helpers come from ``bench/hub.py``; the rules and
queries from ``bench/deterrence.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from deterrence import LANGUAGES, make_rules, word_queries  # noqa: E402
from hub import _RUNNING, WRK_DONE, Server  # noqa: E402

from sharedhash.client import Client  # noqa: E402
from sharedhash.deterrence.variants import variants  # noqa: E402

_WRK_SCRIPT = """
local bodies = {}
local headers = {}
local path = "/"
local i = 0
function init(args)
  for line in io.lines(args[1]) do bodies[#bodies + 1] = line end
  path = args[2]
  headers["Content-Type"] = "application/json"
  if args[3] ~= "-" then headers["Authorization"] = "Bearer " .. args[3] end
  i = math.random(#bodies)
end
function request()
  i = i % #bodies + 1
  return wrk.format("POST", path, headers, bodies[i])
end
"""


def drive(
    server: Server,
    path: str,
    token: str | None,
    bodies: list[bytes],
    connections: int,
    seconds: int,
    profile: Path | None = None,
) -> dict[str, Any]:
    """Send ``bodies`` round-robin to ``path`` over ``connections`` for ``seconds``: rate, latency, server CPU.
    With ``profile``, py-spy samples the server meanwhile and writes its collapsed stacks there."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")
    with tempfile.TemporaryDirectory(prefix="sharedhash-wrk-") as tmp:
        script, data = Path(tmp) / "check.lua", Path(tmp) / "bodies.txt"
        script.write_text(_WRK_SCRIPT + WRK_DONE)
        data.write_bytes(b"\n".join(bodies) + b"\n")
        spy = None
        if profile is not None:
            assert server.proc is not None
            spy = subprocess.Popen(
                [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(server.proc.pid), "--duration",
                 str(seconds), "--output", str(profile), "--format", "raw", "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        cpu0, load0 = server.cpu_seconds(), os.getloadavg()[0]
        run = subprocess.run(
            ["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "30s",
             "-s", str(script), server.url, "--", str(data), path, token or "-"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        cpu = server.cpu_seconds() - cpu0
        if spy is not None:
            spy.wait(timeout=60)
    if run.returncode != 0:
        raise RuntimeError(f"wrk failed: {run.stderr.strip() or run.stdout.strip()}")
    stats = json.loads(next(x for x in run.stdout.splitlines() if x.startswith("WRK "))[4:])
    if stats["errors"]:
        raise RuntimeError(f"{stats['errors']} checks failed during the measurement")
    return {
        "checks/s": stats["requests"] / stats["seconds"],
        "p50 ms": stats["p50_ms"],
        "p99 ms": stats["p99_ms"],
        "server CPU us/check": cpu * 1e6 / max(stats["requests"], 1),
        "checks": stats["requests"],
        "load average": max(load0, os.getloadavg()[0]),
    }


def _auth(token: str | None) -> dict[str, str]:
    return {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}


def body(query: str, rng: random.Random) -> bytes:
    locale, country = rng.choice((("en-GB", "GB"), ("de-DE", "DE"), ("nl-NL", "NL"), ("en-US", "US")))
    return json.dumps({"query": query, "locale": locale, "country": country}, separators=(",", ":")).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="one JSON line instead of the table")
    parser.add_argument(
        "--profile",
        type=Path,
        help="a directory: py-spy's collapsed stacks of each workload (pip install py-spy)",
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    rules = make_rules(args.rules, rng, set())
    import wordfreq

    corpus = {lang: wordfreq.top_n_list(lang, 20_000) for lang in LANGUAGES}
    benign = [body(q, rng) for q in word_queries(corpus, 5_000, rng)]
    terms = [r for r in rules if r.kind == "term"]
    deterred = [body(v.query, rng) for r in rng.sample(terms, 200) for v in variants(r, count=25, seed=args.seed)]
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="sharedhash-bench-") as tmp:
        work = Path(tmp)
        server = Server(f"sqlite:///{work / 'hub.db'}", work / "data")
        try:
            # All the load comes from one address (loopback): the public path's per-client limit is lifted.
            server.env["SHAREDHASH_DETERRENCE_PUBLIC_CLIENT_PER_MINUTE"] = str(10**9)
            token = json.loads(server.cli("org", "create", "bench", "--json"))["api_key"]
            start_s = server.start()
            with Client(server.url, token, timeout=600) as client:
                terms_list = client.create_list("terms", visibility="private")
                lines = b"".join(
                    json.dumps({"hashes": [{"hash_type": "term", "value": r.to_line()}]}).encode() + b"\n"
                    for r in rules
                )
                began = time.perf_counter()
                imported = client.import_entries(terms_list.id, lines)
                assert imported.committed, imported.errors[:3]
                import_s = time.perf_counter() - began
                # The watcher compiles the new rules in the background: wait until an exact rule word deters.
                probe = terms[0].texts[0]
                while not client.deterrence_check(probe).deter:
                    time.sleep(0.1)
                ready_s = time.perf_counter() - began
                client.update_deterrence_settings(public=True, public_per_minute=1_000_000)
                assert not client.deterrence_check("free video downloads").deter
            print(
                f"{len(rules)} rules imported in {import_s:.1f} s, checks deter {ready_s:.1f} s after the import"
                f" began; server ready {start_s:.1f} s after start",
                file=sys.stderr,
            )
            workloads = {
                "benign queries, API key": ("/v1/deterrence/check", token, benign),
                "rule variants (deterred), API key": ("/v1/deterrence/check", token, deterred),
                "benign queries, public (no key)": ("/v1/orgs/bench/deterrence/check", None, benign),
            }
            for name, (path, key, bodies) in workloads.items():
                # Steady state: every body once before timing, so each rule's help links exist (a rule's first
                # deterred answer writes its link rows) and the caches hold the key and the org.
                with httpx.Client(base_url=server.url, headers=_auth(key), timeout=30) as http:
                    assert all(http.post(path, content=b).is_success for b in bodies)
                profile = None
                if args.profile is not None:
                    args.profile.mkdir(parents=True, exist_ok=True)
                    profile = args.profile / (name.split(",")[0].replace(" ", "-") + f"-{len(results)}.txt")
                results[name] = drive(server, path, key, bodies, args.connections, args.seconds, profile)
                row = results[name]
                print(
                    f"  {name}: {row['checks/s']:,.0f} checks/s, p50 {row['p50 ms']:.2f} ms,"
                    f" p99 {row['p99 ms']:.2f} ms, server CPU {row['server CPU us/check']:.0f} us/check,"
                    f" load average {row['load average']:.2f}",
                    file=sys.stderr,
                )
        finally:
            for running in _RUNNING:
                running.stop()
            _RUNNING.clear()
    if args.json:
        print(json.dumps(results))
        return
    print(f"\n{args.rules:,} rules, {args.connections} connections, {args.seconds} s each (wrk)\n")
    print("| workload | checks/s | p50 ms | p99 ms | server CPU per check |")
    print("| --- | --- | --- | --- | --- |")
    for name, row in results.items():
        print(
            f"| {name} | {row['checks/s']:,.0f} | {row['p50 ms']:.2f} | {row['p99 ms']:.2f} |"
            f" {row['server CPU us/check']:.0f} us |"
        )


if __name__ == "__main__":
    main()

"""Fetch more package descriptions for ``bench/deterrence.py --descriptions DIR``: real text nobody here wrote.

The machine's apt lists give about 60,000 distinct one-line Debian package descriptions, so the benchmark's
package-description source has only about 30,000 held-out texts, and one false positive moves its figure by 0.67
per 100,000 over five rule draws. This script adds, into ``DIR``:

- the one-line descriptions of Debian's other releases still on deb.debian.org (``--suites``, default bullseye,
  trixie and sid; components main, contrib and non-free): ``debian-SUITE-COMPONENT.txt``, one per line;
- the summaries of a random sample of PyPI projects (``--pypi`` names drawn with ``--seed`` from PyPI's simple
  index, each summary from the project's JSON API): ``pypi.jsonl``, one ``{"name", "summary"}`` per line,
  appended as they come, so an interrupted run resumes where it stopped.

``manifest.json`` records what was fetched and when; ``bench/deterrence.py`` keys its corpora cache on it. Fetching
80,000 PyPI summaries takes about 20 minutes (8 connections; more makes PyPI's name resolution fail here).

Run: ``python bench/fetch_descriptions.py --out /tmp/q/descriptions`` (``--json`` for one JSON line).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import json
import lzma
import random
import re
from pathlib import Path

import httpx
from rich.progress import Progress

DEBIAN = "https://deb.debian.org/debian/dists"
PYPI = "https://pypi.org"
COMPONENTS = ("main", "contrib", "non-free")
_PROJECT = re.compile(r'<a href="/simple/([^"/]+)/">|<a href="([^"/]+)/">')


def debian_descriptions(packages: str) -> list[str]:
    """The distinct one-line descriptions of a Packages file, in order of first appearance."""
    seen: dict[str, None] = {}
    for line in packages.splitlines():
        if line.startswith("Description: "):
            seen.setdefault(line[len("Description: ") :].strip())
    return [d for d in seen if d]


def fetch_debian(client: httpx.Client, out: Path, suites: list[str], progress: Progress) -> dict[str, int]:
    """Each suite's and component's descriptions into ``debian-SUITE-COMPONENT.txt`` (skipped if present)."""
    counts: dict[str, int] = {}
    task = progress.add_task("Debian Packages files", total=len(suites) * len(COMPONENTS))
    for suite in suites:
        for component in COMPONENTS:
            path = out / f"debian-{suite}-{component}.txt"
            if not path.exists():
                response = client.get(f"{DEBIAN}/{suite}/{component}/binary-amd64/Packages.xz")
                response.raise_for_status()
                lines = debian_descriptions(lzma.decompress(response.content).decode("utf-8", errors="replace"))
                path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
            counts[path.name] = len(path.read_text(encoding="utf-8").splitlines())
            progress.advance(task)
    return counts


def pypi_names(client: httpx.Client) -> list[str]:
    """Every project name of PyPI's simple index (PEP 503 HTML)."""
    response = client.get(f"{PYPI}/simple/")
    response.raise_for_status()
    return sorted({a or b for a, b in _PROJECT.findall(response.text)})


async def fetch_pypi(out: Path, names: list[str], progress: Progress, connections: int) -> None:
    """The summaries of ``names`` not yet in ``pypi.jsonl``, appended as they come."""
    path = out / "pypi.jsonl"
    done: set[str] = set()
    if path.exists():
        done = {json.loads(line)["name"] for line in path.read_text(encoding="utf-8").splitlines() if line}
    todo = [n for n in names if n not in done]
    task = progress.add_task("PyPI summaries", total=len(names), completed=len(names) - len(todo))
    gate = asyncio.Semaphore(connections)
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(name: str, sink: list[str]) -> None:
            async with gate:
                for attempt in range(4):
                    try:
                        response = await client.get(f"{PYPI}/pypi/{name}/json")
                        break
                    except httpx.HTTPError:
                        await asyncio.sleep(1 + attempt)
                else:
                    progress.advance(task)
                    return
            summary = ""
            if response.status_code == 200:
                summary = (response.json().get("info") or {}).get("summary") or ""
            # A name that has gone (404) is recorded too, with no summary, so a resumed run does not ask again.
            sink.append(json.dumps({"name": name, "summary": summary}))
            progress.advance(task)

        with path.open("a", encoding="utf-8") as file:
            for start in range(0, len(todo), 1000):
                sink: list[str] = []
                await asyncio.gather(*(one(name, sink) for name in todo[start : start + 1000]))
                file.write("".join(f"{line}\n" for line in sink))
                file.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="the directory written (created if missing)")
    parser.add_argument("--suites", default="bullseye,trixie,sid", help="Debian suites, comma-separated")
    parser.add_argument("--pypi", type=int, default=80_000, help="PyPI projects sampled (0: none)")
    parser.add_argument("--seed", type=int, default=5, help="the seed of the PyPI sample")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections to PyPI")
    parser.add_argument("--json", action="store_true", help="one JSON line instead of text")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    manifest_path = args.out / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.exists() else {}
    suites = [s for s in args.suites.split(",") if s]
    try:
        with Progress(transient=args.json) as progress, httpx.Client(timeout=120, follow_redirects=True) as client:
            debian = fetch_debian(client, args.out, suites, progress)
            names: list[str] = []
            if args.pypi:
                names = sorted(random.Random(args.seed).sample(pypi_names(client), args.pypi))
                asyncio.run(fetch_pypi(args.out, names, progress, args.connections))
    except httpx.HTTPError as exc:
        raise SystemExit(f"fetch_descriptions: {exc.__class__.__name__}: {exc}") from None
    pypi_lines = (args.out / "pypi.jsonl").read_text(encoding="utf-8").splitlines() if args.pypi else []
    summaries = [json.loads(line)["summary"] for line in pypi_lines if line]
    manifest = {
        "fetched": manifest.get("fetched") or datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "debian": debian,
        "pypi": {"sampled": len(names), "seed": args.seed, "with_summary": sum(1 for s in summaries if s.strip())},
    }
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(manifest))
    else:
        print(json.dumps(manifest, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()

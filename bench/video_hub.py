"""Benchmark video lookups on the hub, in process (the app through starlette's TestClient, SQLite by default).

    python bench/video_hub.py --videos 10000 --frames 60
    createdb -h 127.0.0.1 -U postgres bench_video_hub     # a database of its own: the run leaves its rows there
    python bench/video_hub.py --videos 10000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_video_hub

Reference in the same run: a single-PDQ lookup on the same hub before any video is listed (the plain image path).
Then, with ``--videos`` synthetic listed videos (random frames, quality 90) imported in one bulk request, it times:
a listed video's own value (a 100% match), an unrelated video (no match), a frame of a listed video as a PDQ image
(image against video lists), and a single PDQ that matches nothing. Figures are p50 / p95 of ``--rounds`` requests
and their ratio to the reference. Performance is never asserted in tests; the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from sharedhash.hashing.vpdq import VpdqFrame, VpdqHash
from sharedhash.server.app import create_app
from sharedhash.settings import Settings
from sharedhash.store.db import open_database
from sharedhash.store.models import Scope
from sharedhash.store.orgs import create_key, create_org


def _video(rng: random.Random, frames: int) -> VpdqHash:
    return VpdqHash(tuple(VpdqFrame(i * 30, 90, f"{rng.getrandbits(256):064x}", float(i)) for i in range(frames)))


def _times(call: Callable[[], Any], rounds: int) -> tuple[float, float]:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=2000)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="default: SQLite in a temporary folder")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sharedhash-bench-video-hub-"))
    url = args.database_url or f"sqlite:///{work / 'hub.db'}"
    db = open_database(url)
    with db.writing() as session:
        org = create_org(session, f"bench-{time.time_ns()}", is_operator=True)
        key = create_key(session, org.id, frozenset({Scope.ADMIN})).token
    db.dispose()
    rng = random.Random(14)
    videos = [_video(rng, args.frames) for _ in range(args.videos)]
    unrelated = _video(rng, args.frames).serialise()
    stranger_pdq = f"{rng.getrandbits(256):064x}"
    rows: list[tuple[str, float, float]] = []

    with TestClient(create_app(Settings(data_dir=work, database_url=url))) as http:
        auth = {"Authorization": f"Bearer {key}"}
        while http.get("/readyz").status_code != 200:
            time.sleep(0.05)
        lst = http.post("/v1/hash-lists", json={"name": f"videos-{time.time_ns()}"}, headers=auth).json()

        def look(hash_type: str, value: str) -> list[dict[str, Any]]:
            r = http.post("/v1/lookup", json={"hashes": [{"hash_type": hash_type, "value": value}]}, headers=auth)
            assert r.status_code == 200, r.text
            return r.json()["matches"]  # type: ignore[no-any-return]

        reference = _times(lambda: look("pdq", stranger_pdq), args.rounds)
        rows.append(("pdq, nothing listed (reference)", *reference))

        body = "".join(
            json.dumps({"hashes": [{"hash_type": "vpdq", "value": v.serialise()}]}) + "\n" for v in videos
        ).encode()
        started = time.perf_counter()
        r = http.post(f"/v1/hash-lists/{lst['id']}/import", content=body, headers=auth)
        assert r.status_code == 200, r.text
        import_seconds = time.perf_counter() - started

        listed = videos[len(videos) // 2]
        assert look("vpdq", listed.serialise())[0]["listed_percent"] == 100.0
        assert look("vpdq", unrelated) == []
        assert look("pdq", listed.frames[5].pdq)[0]["matched_hash_type"] == "vpdq"
        rows.append(("vpdq, a listed video", *_times(lambda: look("vpdq", listed.serialise()), args.rounds)))
        rows.append(("vpdq, unrelated video", *_times(lambda: look("vpdq", unrelated), args.rounds)))
        rows.append(("pdq, a listed video's frame", *_times(lambda: look("pdq", listed.frames[5].pdq), args.rounds)))
        rows.append(("pdq, no match (videos listed)", *_times(lambda: look("pdq", stranger_pdq), args.rounds)))

    result = {
        "videos": args.videos,
        "frames": args.frames,
        "backend": url.split(":", 1)[0],
        "import_seconds": round(import_seconds, 2),
        "rows": [
            {
                "lookup": name,
                "p50_ms": round(p50, 3),
                "p95_ms": round(p95, 3),
                "p50_vs_reference": round(p50 / reference[0], 2),
            }
            for name, p50, p95 in rows
        ],
    }
    if args.json:
        json.dump(result, sys.stdout)
        print()
        return
    print(
        f"{args.videos:,} listed videos x {args.frames} frames ({result['backend']}); "
        f"bulk import {import_seconds:.1f} s; {args.rounds} requests each"
    )
    print("| lookup (one hash per request, HTTP in process) | p50 ms | p95 ms | p50 / reference |")
    print("| --- | ---: | ---: | ---: |")
    for row in result["rows"]:
        print(f"| {row['lookup']} | {row['p50_ms']:.2f} | {row['p95_ms']:.2f} | {row['p50_vs_reference']:.2f} |")


if __name__ == "__main__":
    main()

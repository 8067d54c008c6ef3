"""What a pooled PostgreSQL connection's ping costs per transaction, in process (store/db.py, ``_ping_when_idle``).

    python bench/db_ping.py                       # a new database on SHAREDHASH_TEST_POSTGRES_URL's server
    python bench/db_ping.py --transactions 5000 --blocks 8

Blocks of transactions (``db.writing()`` with one ``SELECT 1``), alternating: the connection pinged at every
checkout (``PING_IDLE_SECONDS = 0``: what ``pool_pre_ping`` did) and not pinged when it was given back less than
``PING_IDLE_SECONDS`` ago (the default). Wall time and this process's CPU time per transaction (the database
server's own work for the ping is not counted).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from act import PG_DEFAULT, scratch_postgres  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", default=os.environ.get("SHAREDHASH_TEST_POSTGRES_URL", PG_DEFAULT))
    parser.add_argument("--transactions", type=int, default=2000, help="per block")
    parser.add_argument("--blocks", type=int, default=6, help="per side")
    args = parser.parse_args()

    from sqlalchemy import text

    from sharedhash.store import db as db_module

    default = db_module.PING_IDLE_SECONDS
    sides = {"pinged at every checkout": 0.0, f"pinged after {default:g} s idle": default}
    out: dict[str, list[tuple[float, float]]] = {name: [] for name in sides}
    with scratch_postgres(args.postgres_url) as url:
        db = db_module.open_database(url)
        try:
            for block in range(args.blocks):
                for name in sides if block % 2 else reversed(list(sides)):
                    db_module.PING_IDLE_SECONDS = sides[name]
                    t0, c0 = time.perf_counter(), time.process_time()
                    for _ in range(args.transactions):
                        with db.writing() as session:
                            session.execute(text("SELECT 1"))
                    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                    out[name].append((wall / args.transactions * 1e6, cpu / args.transactions * 1e6))
        finally:
            db_module.PING_IDLE_SECONDS = default
            db.engine.dispose()
    print(f"\n{args.blocks} blocks of {args.transactions:,} transactions a side, alternating\n")
    print("| pooled connection | wall µs per transaction (median; blocks) | CPU µs per transaction (median; blocks) |")
    print("| --- | --- | --- |")
    for name, rows in out.items():
        walls = ", ".join(f"{w:.0f}" for w, _ in rows)
        cpus = ", ".join(f"{c:.0f}" for _, c in rows)
        print(
            f"| {name} | {statistics.median(w for w, _ in rows):.0f}; {walls} "
            f"| {statistics.median(c for _, c in rows):.0f}; {cpus} |"
        )


if __name__ == "__main__":
    main()

r"""The store's bulk import alone, in process: N JSON lines (a PDQ and an MD5 each) into a fresh SQLite list.

Meant to run under valgrind's callgrind, which counts instructions whatever else the machine runs: run it with N
lines and with none, and the difference is the import's own work (docs/benchmarks.md, "Room to grow")::

    for n in 0 20000; do valgrind --tool=callgrind --callgrind-out-file=cg.$n \
        .venv/bin/python bench/import_probe.py $n; done
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time

from sharedhash.store.bulk import import_entries, parse_jsonl
from sharedhash.store.db import open_database
from sharedhash.store.lists import create_list
from sharedhash.store.orgs import caller_for_org, create_org
from sharedhash.store.prefetch import prefetched


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lines", type=int, help="how many entries to import (0: everything but the import)")
    n = parser.parse_args().lines
    rng = random.Random(7)
    lines = [
        json.dumps(
            {
                "hashes": [
                    {"hash_type": "pdq", "value": f"{rng.getrandbits(256):064x}", "quality": 90},
                    {"hash_type": "md5", "value": f"{rng.getrandbits(128):032x}"},
                ],
                "classification": "A1",
                "labels": ["x"],
                "external_id": f"e{i}",
            }
        )
        for i in range(n)
    ]
    db = open_database(f"sqlite:///{tempfile.mkdtemp()}/probe.db")
    with db.writing() as session:
        caller = caller_for_org(create_org(session, "probe"))
        list_id = create_list(session, caller, "l").id
    started = time.process_time()
    with db.writing() as session:
        result = import_entries(session, caller, list_id, prefetched(parse_jsonl(lines, 50)))
    print(f"imported {n} lines in {time.process_time() - started:.3f} s of CPU; {len(result.errors)} errors")


if __name__ == "__main__":
    main()

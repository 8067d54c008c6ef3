"""Benchmark the CLI's start-up: whole-process wall time of short commands, hyperfine-style, in one run.

Each case runs as a fresh process (the installed ``sharedhash`` console script), ``--warmup`` times unmeasured,
then ``--runs`` times measured: wall time, and the child's CPU time (user + system), which a busy machine
inflates less. The cases are interleaved run by run, so a noisy neighbour slows them all alike. Two references
run in the same rounds: the bare interpreter (``python -c pass``, the floor) and the eager CLI (the same entry
point after importing every command module and the settings class, as the root command did before it loaded
commands lazily). Targets (issue 11): ``--version`` <= 0.15 s, ``hash`` of one small file <= 0.35 s.

    python bench/cli_startup.py [--runs 20] [--warmup 3] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

REPO = Path(__file__).resolve().parent.parent
SMALL_IMAGE = "pdq/misc/small.jpg"  # 1.7 kB JPEG from shared/testdata

# The eager reference: the old root command imported every command module (and through them numpy, Pillow,
# pydantic-settings, the hashing engine, ...) before parsing its arguments.
_EAGER = """
import importlib, sys
from sharedhash.cli.app import COMMANDS, main
for module, _ in COMMANDS.values():
    importlib.import_module(module)
import sharedhash.settings
sys.argv = ["sharedhash", *sys.argv[1:]]
main()
"""


def testdata_dir() -> Path | None:
    configured = os.environ.get("SHAREDHASH_TESTDATA")
    candidate = Path(configured) if configured else REPO.parent / "shared" / "testdata"
    return candidate if candidate.is_dir() else None


def small_image(folder: Path) -> Path:
    """The small test JPEG, or a generated benign one where shared/testdata is missing."""
    td = testdata_dir()
    if td is not None and (td / SMALL_IMAGE).is_file():
        return td / SMALL_IMAGE
    from sharedhash.hashing.samples import make_sample

    path = folder / "small.jpg"
    make_sample("shapes", 64, 48).save(path, "JPEG", quality=90)
    return path


def cases(image: Path) -> list[tuple[str, list[str], float | None]]:
    """(label, argv, target seconds or None for a reference)."""
    exe = str(Path(sys.executable).parent / "sharedhash")
    py = sys.executable
    return [
        ("python -c pass (floor)", [py, "-c", "pass"], None),
        ("sharedhash --version", [exe, "--version"], 0.15),
        ("eager: sharedhash --version", [py, "-c", _EAGER, "--version"], None),
        ("sharedhash --help", [exe, "--help"], None),
        (f"sharedhash hash {image.name}", [exe, "hash", str(image)], 0.35),
        (f"eager: sharedhash hash {image.name}", [py, "-c", _EAGER, "hash", str(image)], None),
        (f"sharedhash hash --json {image.name}", [exe, "hash", "--json", str(image)], 0.35),
    ]


def run_once(argv: list[str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of one run of ``argv``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(runs: int, warmup: int) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        table = cases(small_image(Path(tmp)))
        times: list[list[float]] = [[] for _ in table]
        cpu: list[list[float]] = [[] for _ in table]
        for round_ in range(warmup + runs):
            for i, (_, argv, _) in enumerate(table):
                wall, used = run_once(argv)
                if round_ >= warmup:
                    times[i].append(wall)
                    cpu[i].append(used)
    floor = statistics.median(times[0])
    by_label = {label: statistics.median(ts) for (label, _, _), ts in zip(table, times, strict=True)}
    rows: list[dict[str, object]] = []
    for (label, _, target), ts, cs in zip(table, times, cpu, strict=True):
        median = statistics.median(ts)
        eager = by_label.get(f"eager: {label}")
        rows.append(
            {
                "command": label,
                "median_s": round(median, 4),
                "min_s": round(min(ts), 4),
                "stdev_s": round(statistics.stdev(ts), 4) if len(ts) > 1 else 0.0,
                "cpu_s": round(statistics.median(cs), 4),
                "vs_floor": round(median / floor, 2),
                "vs_eager": round(median / eager, 2) if eager else None,
                "target_s": target,
                "met": None if target is None else median <= target,
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows = measure(args.runs, args.warmup)
    if args.json:
        print(json.dumps({"runs": args.runs, "cpus": os.cpu_count(), "rows": rows}, indent=2))
        return
    table = Table(title=f"CLI start-up, whole process wall time ({args.runs} runs each, interleaved)")
    for col in ("command", "median s", "min s", "stdev s", "CPU s", "x floor", "x eager", "target s", "met"):
        table.add_column(col, justify="left" if col == "command" else "right")
    for r in rows:
        table.add_row(
            str(r["command"]),
            f"{r['median_s']:.3f}",
            f"{r['min_s']:.3f}",
            f"{r['stdev_s']:.3f}",
            f"{r['cpu_s']:.3f}",
            f"{r['vs_floor']:.2f}",
            "" if r["vs_eager"] is None else f"{r['vs_eager']:.2f}",
            "" if r["target_s"] is None else f"{r['target_s']:.2f}",
            "" if r["met"] is None else ("yes" if r["met"] else "NO"),
        )
    Console(width=140).print(table)


if __name__ == "__main__":
    main()

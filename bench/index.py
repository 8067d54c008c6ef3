"""Benchmark the PDQ index against python-threatexchange ``PDQIndex`` and FAISS ``IndexBinaryFlat``, same run.

Data: uniform random PDQ hashes plus clusters of near-duplicates (how real lists look); queries: half near a
stored hash (0-40 bits off), half random. Each index runs in a fresh subprocess so its memory is the honest
RSS growth of building it (input arrays freed). Reported per index: build time, memory, save size, load time,
p50/p99 single-query latency at d=31, batched throughput on every core, latency of 10,000 adds and of 10,000
removals until queryable, recall against a numpy brute force, and whether result sets equal ours.

    python bench/index.py --n 1000000 [--indexes ours,hma,faiss_flat] [--json]
    python bench/index.py --n 10000000 --indexes ours,faiss_flat

The machine is shared: compare ratios within one run, not absolute numbers across runs.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

THRESHOLD = 31
UPDATES = 10_000
RECALL_QUERIES = 200


def rss_mb() -> float:
    """Resident memory of this process, in MB."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def flip_bits(rows: np.ndarray, counts: np.ndarray, rng: np.random.Generator) -> None:
    """Flip ``counts[i]`` random bits of row i in place (a repeated position flips back: "up to" that many)."""
    width = int(counts.max(initial=0))
    positions = rng.integers(0, 256, size=(len(rows), width))
    for j in range(width):
        chosen = np.flatnonzero(counts > j)
        np.bitwise_xor.at(rows, (chosen, positions[chosen, j] >> 3), (1 << (positions[chosen, j] & 7)).astype(np.uint8))


def make_data(n: int, n_queries: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(rows, queries, extra rows to add): 80% uniform random, 20% clusters of 10 near-duplicates (0-24 bits)."""
    rng = np.random.default_rng(seed)
    n_clustered = n // 5 // 10 * 10
    rows = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    members = np.repeat(rows[: n_clustered // 10], 10, axis=0)
    flip_bits(members, rng.integers(0, 25, size=len(members)), rng)
    rows[n - n_clustered :] = members
    rows = rows[rng.permutation(n)]

    def near(source: np.ndarray, max_bits: int) -> np.ndarray:
        out = source.copy()
        flip_bits(out, rng.integers(0, max_bits + 1, size=len(out)), rng)
        return out

    half = n_queries // 2
    queries = np.concatenate(
        [
            near(rows[rng.integers(0, n, size=half)], 40),
            rng.integers(0, 256, size=(n_queries - half, 32), dtype=np.uint8),
        ]
    )
    extra = near(rows[rng.integers(0, n, size=UPDATES)], 8)
    return rows, queries[rng.permutation(n_queries)], extra


def brute_force(rows: np.ndarray, queries: np.ndarray, threshold: int) -> list[np.ndarray]:
    """Ids within ``threshold`` of each query, by numpy popcount over every row (the ground truth).

    Blocks of rows small enough for the cache keep the temporaries from dominating.
    """
    words = rows.view(np.uint64)
    found: list[list[np.ndarray]] = [[] for _ in queries]
    block = 1 << 16
    for start in range(0, len(words), block):
        part = words[start : start + block]
        for i, q in enumerate(queries.view(np.uint64)):
            counts = np.bitwise_count(part ^ q)
            hits = np.flatnonzero(counts[:, 0] + counts[:, 1] + counts[:, 2] + counts[:, 3] <= threshold)
            if len(hits):
                found[i].append(hits + start)
    return [np.concatenate(f) if f else np.zeros(0, dtype=np.int64) for f in found]


# -- the indexes, each behind the same small adapter ------------------------------------------------------------


class Adapter:
    """Build, query (single and batch), add, remove, save and load one kind of index."""

    def build(self, rows: np.ndarray) -> None:
        raise NotImplementedError

    def query(self, q: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def query_batch(self, qs: np.ndarray) -> list[np.ndarray]:
        return [self.query(q) for q in qs]

    def add(self, rows: np.ndarray, ids: np.ndarray) -> None:
        raise NotImplementedError

    def remove(self, ids: np.ndarray) -> None:
        raise NotImplementedError

    def save(self, path: Path) -> None:
        raise NotImplementedError

    def load(self, path: Path) -> None:
        raise NotImplementedError


class Ours(Adapter):
    def build(self, rows: np.ndarray) -> None:
        from sharedhash.index import PdqIndex

        self.index = PdqIndex.from_arrays(rows, np.arange(len(rows)))

    def query(self, q: np.ndarray) -> np.ndarray:
        return np.asarray(self.index.query_batch_array(q[None, :], THRESHOLD).ids)

    def query_batch(self, qs: np.ndarray) -> list[np.ndarray]:
        found = self.index.query_batch_array(qs, THRESHOLD)
        return np.split(found.ids, np.cumsum(found.counts)[:-1])

    def add(self, rows: np.ndarray, ids: np.ndarray) -> None:
        self.index.add_array(rows, ids)

    def remove(self, ids: np.ndarray) -> None:
        self.index.remove(ids)

    def save(self, path: Path) -> None:
        self.index.save(path)

    def load(self, path: Path) -> None:
        from sharedhash.index import PdqIndex

        self.index = PdqIndex.load(path)


class Hma(Adapter):
    """python-threatexchange ``PDQIndex`` (FAISS IndexBinaryMultiHash + Python lists), as HMA uses it."""

    def build(self, rows: np.ndarray) -> None:
        from threatexchange.signal_type.pdq.pdq_index import PDQIndex

        self.entries = [(bytes(r).hex(), i) for i, r in enumerate(rows)]
        self.index = PDQIndex.build(self.entries)

    def _ids(self, matches: Any) -> np.ndarray:
        return np.array(sorted(m.metadata for m in matches), dtype=np.int64)

    def query(self, q: np.ndarray) -> np.ndarray:
        return self._ids(self.index.query(bytes(q).hex()))

    def query_batch(self, qs: np.ndarray) -> list[np.ndarray]:
        hexes = [bytes(q).hex() for q in qs]
        found = self.index.index.search_with_distance_in_result(hexes, THRESHOLD)
        return [
            np.array(sorted(self.index.local_id_to_entry[i][1] for i, _, _ in found[h]), dtype=np.int64) for h in hexes
        ]

    def add(self, rows: np.ndarray, ids: np.ndarray) -> None:
        self.index.add_all((bytes(r).hex(), int(i)) for r, i in zip(rows, ids, strict=True))

    def remove(self, ids: np.ndarray) -> None:
        # PDQIndex cannot remove: HMA rebuilds the whole index without the removed entries.
        from threatexchange.signal_type.pdq.pdq_index import PDQIndex

        gone = set(ids.tolist())
        self.index = PDQIndex.build(e for e in self.index.local_id_to_entry if e[1] not in gone)

    def save(self, path: Path) -> None:
        with path.open("wb") as f:
            self.index.serialize(f)

    def load(self, path: Path) -> None:
        from threatexchange.signal_type.pdq.pdq_index import PDQIndex

        with path.open("rb") as f:
            self.index = PDQIndex.deserialize(f)


class FaissFlat(Adapter):
    """FAISS ``IndexBinaryFlat`` behind an ``IndexBinaryIDMap2`` (so ids survive removals): a brute-force scan."""

    def build(self, rows: np.ndarray) -> None:
        import faiss

        self.index = faiss.IndexBinaryIDMap2(faiss.IndexBinaryFlat(256))
        self.index.add_with_ids(rows, np.arange(len(rows), dtype=np.int64))

    def query(self, q: np.ndarray) -> np.ndarray:
        return self.query_batch(q[None, :])[0]

    def query_batch(self, qs: np.ndarray) -> list[np.ndarray]:
        lims, _, ids = self.index.range_search(np.ascontiguousarray(qs), THRESHOLD + 1)
        return [np.sort(ids[lims[i] : lims[i + 1]]) for i in range(len(qs))]

    def add(self, rows: np.ndarray, ids: np.ndarray) -> None:
        self.index.add_with_ids(rows, ids.astype(np.int64))

    def remove(self, ids: np.ndarray) -> None:
        self.index.remove_ids(ids.astype(np.int64))  # type: ignore[arg-type]  # faiss's stubs miss the array overload

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index_binary(self.index, str(path))

    def load(self, path: Path) -> None:
        import faiss

        self.index = faiss.read_index_binary(str(path))  # type: ignore[assignment]  # an IndexBinaryIDMap2 was saved


ADAPTERS: dict[str, Callable[[], Adapter]] = {"ours": Ours, "hma": Hma, "faiss_flat": FaissFlat}
LABELS = {
    "ours": "sharedhash PdqIndex",
    "hma": "threatexchange PDQIndex",
    "faiss_flat": "FAISS IndexBinaryFlat",
}


def _timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def trim() -> None:
    """Return freed heap memory to the OS (glibc keeps build temporaries otherwise), so RSS shows live data."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except OSError:
        pass


def threads(kind: str, count: int) -> None:
    """Set FAISS's OpenMP thread count (the indexes built on FAISS)."""
    if kind != "ours":
        import faiss

        faiss.omp_set_num_threads(count)


def worker(kind: str, folder: Path, single: int) -> dict[str, Any]:
    """Measure one index in this (fresh) process; write its result ids next to the data."""
    adapter = ADAPTERS[kind]()
    if kind == "ours":
        import sharedhash.index  # noqa: F401
    elif kind == "hma":
        import threatexchange.signal_type.pdq.pdq_index  # noqa: F401
    else:
        import faiss  # noqa: F401
    queries = np.load(folder / "queries.npy")
    extra = np.load(folder / "extra.npy")
    gc.collect()
    baseline = rss_mb()
    rows = np.load(folder / "rows.npy")
    build_s, _ = _timed(lambda: adapter.build(rows))
    n = len(rows)
    rows = np.empty((0, 32), dtype=np.uint8)  # the index keeps what it needs; free the input before measuring
    gc.collect()
    out_raw_mb = rss_mb() - baseline
    trim()
    memory_mb = rss_mb() - baseline
    out: dict[str, Any] = {"index": kind, "n": n, "build_s": build_s, "memory_mb": memory_mb}
    out["memory_untrimmed_mb"] = out_raw_mb

    # FAISS parallelises one query over OpenMP threads, which only adds overhead (and suffers most from a busy
    # machine): single queries run on one thread, as HMA's request handlers effectively do.
    threads(kind, 1)
    latencies = []
    for q in queries[:single]:
        t, _ = _timed(partial(adapter.query, q))
        latencies.append(t)
    out["p50_ms"] = float(np.percentile(latencies, 50) * 1000)
    out["p99_ms"] = float(np.percentile(latencies, 99) * 1000)
    threads(kind, os.cpu_count() or 1)
    cpu_before = time.process_time()
    batch_s, results = _timed(lambda: adapter.query_batch(queries))
    out["batch_qps"] = len(queries) / batch_s
    # CPU time per query is far less sensitive than wall time to other processes on a shared machine:
    # cores / cpu_ms is the throughput all cores would give if this process had them to itself.
    out["batch_cpu_ms_per_query"] = (time.process_time() - cpu_before) * 1000 / len(queries)
    counts = np.array([len(r) for r in results], dtype=np.int64)
    np.savez(folder / f"result-{kind}.npz", counts=counts, ids=np.concatenate(results) if results else counts)

    # Updates: 10,000 adds (new ids), then removal of the same 10,000, each timed until a query sees it.
    new_ids = np.arange(n, n + UPDATES, dtype=np.int64)
    probe = extra[-1]

    def add_and_check() -> bool:
        adapter.add(extra, new_ids)
        return bool(np.isin(n + UPDATES - 1, adapter.query(probe)))

    def remove_and_check() -> bool:
        adapter.remove(new_ids)
        return not bool(np.isin(n + UPDATES - 1, adapter.query(probe)))

    out["add_10k_s"], added = _timed(add_and_check)
    out["remove_10k_s"], removed = _timed(remove_and_check)
    out["updates_visible"] = added and removed

    path = folder / f"saved-{kind}"
    out["save_s"], _ = _timed(lambda: adapter.save(path))
    out["file_mb"] = path.stat().st_size / 1e6
    adapter = ADAPTERS[kind]()  # drops the built index
    gc.collect()
    before = rss_mb()
    out["load_s"], _ = _timed(lambda: adapter.load(path))
    out["loaded_memory_mb"] = rss_mb() - before
    t, _ = _timed(lambda: adapter.query(queries[0]))
    out["first_query_after_load_ms"] = t * 1000
    threads(kind, 1)
    after = [_timed(partial(adapter.query, q))[0] for q in queries[-min(single, 200) :]]
    out["p50_after_load_ms"] = float(np.percentile(after, 50) * 1000)
    path.unlink()
    return out


def _result_sets(path: Path) -> list[np.ndarray]:
    saved = np.load(path)
    return [np.sort(p) for p in np.split(saved["ids"], np.cumsum(saved["counts"])[:-1])]


def run(n: int, kinds: list[str], n_queries: int, single: int, seed: int, as_json: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="sharedhash-bench-index-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        rows, queries, extra = make_data(n, n_queries, seed)
        np.save(folder / "rows.npy", rows)
        np.save(folder / "queries.npy", queries)
        np.save(folder / "extra.npy", extra)
        # The numpy ground truth is slow at 10M: fewer queries there (the result check still covers all of them).
        truth = brute_force(rows, queries[: max(50, min(RECALL_QUERIES, 400_000_000 // n))], THRESHOLD)
        del rows
        log(f"data: {n:,} hashes, {n_queries:,} queries ({time.perf_counter() - started:.1f} s)", as_json)
        results: dict[str, dict[str, Any]] = {}
        for kind in kinds:
            log(f"measuring {LABELS[kind]} …", as_json)
            cmd = [sys.executable, __file__, "--worker", kind, "--dir", tmp, "--single", str(single)]
            proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if proc.returncode:
                log(f"{kind} failed: {proc.stderr[-2000:]}", as_json)
                continue
            results[kind] = json.loads(proc.stdout.strip().splitlines()[-1])
        sets = {kind: _result_sets(folder / f"result-{kind}.npz") for kind in results}
        for kind, res in results.items():
            per_query = sets[kind]
            found = sum(len(np.intersect1d(per_query[i], truth[i])) for i in range(len(truth)))
            expected = sum(len(t) for t in truth)
            res["recall"] = found / expected if expected else 1.0
            res["matches_per_query"] = float(np.mean([len(p) for p in per_query]))
            if "ours" in sets:
                res["same_results_as_ours"] = all(
                    np.array_equal(a, b) for a, b in zip(per_query, sets["ours"], strict=True)
                )
    report: dict[str, Any] = {
        "n": n,
        "queries": n_queries,
        "threshold": THRESHOLD,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "results": results,
    }
    if "ours" in results:
        base = results["ours"]
        report["ratios"] = {
            kind: {
                "qps_ours_over_theirs": base["batch_qps"] / r["batch_qps"],
                "p50_theirs_over_ours": r["p50_ms"] / base["p50_ms"],
                "memory_ours_over_theirs": base["memory_mb"] / r["memory_mb"] if r["memory_mb"] > 0 else None,
                "build_theirs_over_ours": r["build_s"] / base["build_s"],
            }
            for kind, r in results.items()
            if kind != "ours"
        }
    return report


def log(message: str, as_json: bool) -> None:
    print(message, file=sys.stderr if as_json else sys.stdout, flush=True)


def print_table(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    cols = [
        ("build s", "build_s", "{:.1f}"),
        ("memory MB", "memory_mb", "{:.0f}"),
        ("file MB", "file_mb", "{:.0f}"),
        ("load s", "load_s", "{:.2f}"),
        ("p50 after load ms", "p50_after_load_ms", "{:.3f}"),
        ("p50 ms", "p50_ms", "{:.3f}"),
        ("p99 ms", "p99_ms", "{:.3f}"),
        ("batch q/s", "batch_qps", "{:,.0f}"),
        ("CPU ms/query (batch)", "batch_cpu_ms_per_query", "{:.3f}"),
        ("10k adds s", "add_10k_s", "{:.3f}"),
        ("10k removes s", "remove_10k_s", "{:.3f}"),
        ("recall", "recall", "{:.4f}"),
        ("same as ours", "same_results_as_ours", "{}"),
    ]
    table = Table(
        title=f"PDQ index, {report['n']:,} hashes, d={THRESHOLD}, load average {report['load_average'][0]:.1f}"
    )
    table.add_column("index")
    for title, _, _ in cols:
        table.add_column(title, justify="right")
    for kind, r in report["results"].items():
        table.add_row(LABELS[kind], *(fmt.format(r.get(key, "")) for _, key, fmt in cols))
    console = Console(width=220)
    console.print(table)
    for kind, ratio in report.get("ratios", {}).items():
        parts = ", ".join(f"{k} {v:.2f}" for k, v in ratio.items() if v is not None)
        console.print(f"vs {LABELS[kind]}: {parts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1_000_000, help="hashes in the index")
    parser.add_argument("--indexes", default="ours,hma,faiss_flat", help="comma-separated: ours, hma, faiss_flat")
    parser.add_argument("--queries", type=int, default=4000, help="queries for the batch and the result check")
    parser.add_argument("--single", type=int, default=500, help="queries timed one at a time")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, Path(args.dir), args.single)))
        return
    kinds = [k.strip() for k in args.indexes.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in ADAPTERS]
    if unknown:
        parser.error(f"unknown index {unknown[0]!r}; choose from {', '.join(ADAPTERS)}")
    report = run(args.n, kinds, args.queries, args.single, args.seed, args.json)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        print_table(report)


if __name__ == "__main__":
    main()

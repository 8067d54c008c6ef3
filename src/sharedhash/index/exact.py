"""Exact indexes for cryptographic hashes (md5, sha1, sha256): binary digests in numpy, found by binary search.

The main segment keeps digests sorted by id (for removals) plus the first 8 bytes of each digest sorted, with
the permutation back to rows: 12 bytes per hash on top of the digest and id. Digests are uniform, so 8 bytes
almost never collide and a lookup reads one row.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from sharedhash.errors import CorruptDataError
from sharedhash.index._kernels import Hits
from sharedhash.index.segments import DeltaSegment, MainSegment, SegmentedIndex


def _prefix_keys(rows: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rows[:, :8]).view(">u8").reshape(-1).astype(np.uint64)


class ExactIndex(SegmentedIndex):
    """Equality lookups of fixed-width digests. Any ``max_distance`` means 0: these hashes match only exactly."""

    kind: ClassVar[str] = "exact"
    delta_lookup: ClassVar[bool] = True

    def _build_extra(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        keys = _prefix_keys(rows)
        order = np.argsort(keys, kind="stable").astype(np.uint32)
        return {"keys": keys[order], "order": order}

    def _check_extra(self, n: int, extra: dict[str, np.ndarray]) -> None:
        keys, order = extra.get("keys"), extra.get("order")
        if keys is None or order is None or set(extra) != {"keys", "order"}:
            raise CorruptDataError("the exact index file lacks its lookup table")
        if keys.shape != (n,) or order.shape != (n,) or keys.dtype != np.uint64 or order.dtype != np.uint32:
            raise CorruptDataError("the exact index file has a lookup table of the wrong shape")
        if n and (int(order.max()) >= n or np.any(keys[1:] < keys[:-1])):
            raise CorruptDataError("the exact index file has an inconsistent lookup table")

    def _search_main(self, main: MainSegment, queries: np.ndarray, max_distance: int) -> Hits:
        keys, order = main.extra["keys"], main.extra["order"]
        wanted = _prefix_keys(queries)
        lo = np.searchsorted(keys, wanted, side="left")
        lengths = np.searchsorted(keys, wanted, side="right") - lo
        total = int(lengths.sum())
        query_of = np.repeat(np.arange(len(queries)), lengths)
        index = np.arange(total, dtype=np.int64) + np.repeat(lo - (np.cumsum(lengths) - lengths), lengths)
        positions = order[index].astype(np.int64)
        keep = (main.rows[positions] == queries[query_of]).all(axis=1) & (main.tomb[positions] == 0)
        counts = np.bincount(query_of[keep], minlength=len(queries)).astype(np.int64)
        hits = positions[keep]
        return Hits(counts, hits, np.zeros(len(hits), dtype=np.int64))

    def _search_delta(self, delta: DeltaSegment, queries: np.ndarray, max_distance: int) -> Hits:
        counts = np.zeros(len(queries), dtype=np.int64)
        found: list[int] = []
        if delta.lookup:
            for i, query in enumerate(queries):
                rows = [r for r in delta.lookup.get(query.tobytes(), ()) if not delta.tomb[r]]
                counts[i] = len(rows)
                found.extend(rows)
        positions = np.array(found, dtype=np.int64)
        return Hits(counts, positions, np.zeros(len(positions), dtype=np.int64))


class Md5Index(ExactIndex):
    """Exact md5 lookups (16-byte digests)."""

    hash_type: ClassVar[str] = "md5"
    width: ClassVar[int] = 16


class Sha1Index(ExactIndex):
    """Exact sha1 lookups (20-byte digests)."""

    hash_type: ClassVar[str] = "sha1"
    width: ClassVar[int] = 20


class Sha256Index(ExactIndex):
    """Exact sha256 lookups (32-byte digests)."""

    hash_type: ClassVar[str] = "sha256"
    width: ClassVar[int] = 32

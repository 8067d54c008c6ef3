"""The PDQ index: every stored hash within Hamming distance d of a query, for any d in 0..256, exactly.

Multi-index hashing (Norouzi et al.): the 256 bits are cut into 16 chunks of 16 bits, and each chunk has a
CSR posting list (row positions sorted by chunk value, plus 65,537 offsets). A hash within d bits of the query
agrees with it within d // 16 bits on at least one chunk (pigeonhole), so probing those keys finds every match:
for d = 31, 17 keys per chunk. When the probed lists would be a large share of the table, a scan is cheaper and
is used instead. Memory per hash: 32 bytes of value, 8 of id, 64 of postings, 1 of tombstone.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import ClassVar

import numpy as np

from sharedhash.errors import CorruptDataError
from sharedhash.index import _kernels
from sharedhash.index._kernels import CHUNKS, KEYS, Hits
from sharedhash.index.base import IndexMatch
from sharedhash.index.dihedral import dihedral_variants
from sharedhash.index.segments import DeltaSegment, MainSegment, SegmentedIndex


class PdqIndex(SegmentedIndex):
    """Exact PDQ range search over millions of hashes, with live updates and a memory-mapped file format."""

    hash_type: ClassVar[str] = "pdq"
    width: ClassVar[int] = 32
    kind: ClassVar[str] = "pdq"
    #: Use the C kernel when it was built (tests switch this off to check the numpy kernel too).
    native: bool = True

    def _build_extra(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        n = len(rows)
        chunks = rows.view(np.uint16)
        postings = np.empty((CHUNKS, n), dtype=np.uint32)
        offsets = np.zeros((CHUNKS, KEYS + 1), dtype=np.int64)

        def build(c: int) -> None:
            keys = chunks[:, c]
            # A stable sort of 16-bit keys is a radix sort in numpy: linear time, and it releases the GIL.
            postings[c] = np.argsort(keys, kind="stable")
            np.cumsum(np.bincount(keys, minlength=KEYS), out=offsets[c, 1:])

        if n:
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(build, range(CHUNKS)))
        return {"postings": postings, "offsets": offsets}

    def _check_extra(self, n: int, extra: dict[str, np.ndarray]) -> None:
        postings, offsets = extra.get("postings"), extra.get("offsets")
        if postings is None or offsets is None or set(extra) != {"postings", "offsets"}:
            raise CorruptDataError("the PDQ index file lacks its posting lists")
        if postings.shape != (CHUNKS, n) or postings.dtype != np.uint32:
            raise CorruptDataError("the PDQ index file has posting lists of the wrong shape")
        if offsets.shape != (CHUNKS, KEYS + 1) or offsets.dtype != np.int64:
            raise CorruptDataError("the PDQ index file has offsets of the wrong shape")
        # Bounds are checked once here so the kernel can trust every position it reads.
        if np.any(offsets[:, 0] != 0) or np.any(offsets[:, -1] != n) or np.any(np.diff(offsets, axis=1) < 0):
            raise CorruptDataError("the PDQ index file has inconsistent offsets")
        if n and int(postings.max()) >= n:
            raise CorruptDataError("the PDQ index file has posting entries out of range")

    def _search_main(self, main: MainSegment, queries: np.ndarray, max_distance: int) -> Hits:
        return _kernels.mih(
            main.rows,
            main.extra["postings"],
            main.extra["offsets"],
            main.tomb if main.dead else None,
            queries,
            max_distance,
            native=self.native,
        )

    def _search_delta(self, delta: DeltaSegment, queries: np.ndarray, max_distance: int) -> Hits:
        if not delta.n:
            empty = np.zeros(0, dtype=np.int64)
            return Hits(np.zeros(len(queries), dtype=np.int64), empty, empty)
        return _kernels.scan(delta.rows[: delta.n], delta.tomb, queries, max_distance, native=self.native)

    def knn(self, value: str, k: int) -> list[IndexMatch]:
        """The ``k`` stored ids nearest to ``value`` (ties broken by id)."""
        # Each range answer is complete up to its radius, so the first radius giving k hits gives the k nearest.
        for radius in (15, 31, 47, 63, 256):
            found = self.query(value, radius)
            if len(found) >= k or radius == 256:
                return found[:k]
        return []

    def query_dihedral(self, value: str, max_distance: int = 31) -> list[IndexMatch]:
        """Matches of any of the 8 rotations and mirror images of ``value``, derived from the hash bits alone.

        Each id appears once with its smallest distance. Deriving the variants from the bits is approximate
        (docs/index.md gives the measured error); hashing the transformed image is exact.
        """
        return self.query_any(dihedral_variants(value), max_distance)

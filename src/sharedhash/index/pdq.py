"""The PDQ index: every stored hash within Hamming distance d of a query, for any d in 0..256, exactly.

Multi-index hashing (Norouzi et al.): the 256 bits are cut into 16 chunks of 16 bits, and each chunk has a
CSR posting list (row positions sorted by chunk value, plus 65,537 offsets). A hash within d bits of the query
agrees with it within d // 16 bits on at least one chunk (pigeonhole), so probing those keys finds every match:
for d = 31, 17 keys per chunk. From 4 million hashes the bits are cut into 12 chunks of 21-22 bits instead
(radius 2 at d = 31, 3.7x fewer candidates). When the probed lists would be a large share of the table, a scan
is cheaper and is used instead. Memory per hash: 32 bytes of value, 8 of id, 64 (or 48) of postings, 1 of
tombstone, plus an offsets table of 4 MB (or 134 MB).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar

import numpy as np

from sharedhash.errors import CorruptDataError, InvalidInputError
from sharedhash.index import _kernels
from sharedhash.index._kernels import Hits
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

    def __init__(self, *, layout: tuple[int, ...] | None = None, **options: Any) -> None:
        """``layout`` forces chunk widths (summing to 256, each 1 to 24 bits) instead of choosing by size."""
        if layout is not None and (sum(layout) != 256 or not all(1 <= w <= 24 for w in layout)):
            raise InvalidInputError(f"chunk widths {layout} must be 1 to 24 bits each and add up to 256")
        self.layout = layout
        super().__init__(**options)

    def _build_extra(self, rows: np.ndarray) -> dict[str, np.ndarray]:
        n = len(rows)
        widths = self.layout or _kernels.layout_for(n)
        bases = _kernels.offsets_bases(widths)
        postings = np.empty((len(widths), n), dtype=np.uint32)
        offsets = np.zeros(bases[-1], dtype=np.uint32)

        def build(c: int) -> None:
            keys = _kernels.chunk_keys(rows, _kernels.chunk_starts(widths)[c], widths[c])
            # Sorting (key, position) pairs packed in one uint64 keeps each posting list in row order (kinder to
            # the cache) and is ~2x faster than a stable argsort of wide keys; numpy's sort releases the GIL.
            packed = (keys.astype(np.uint64) << np.uint64(32)) | np.arange(n, dtype=np.uint64)
            packed.sort()
            postings[c] = packed.astype(np.uint32)
            np.cumsum(np.bincount(keys, minlength=1 << widths[c]), out=offsets[bases[c] + 1 : bases[c + 1]])

        if n:
            with ThreadPoolExecutor(max_workers=2) as pool:
                list(pool.map(build, range(len(widths))))
        return {"postings": postings, "offsets": offsets, "widths": np.array(widths, dtype=np.uint8)}

    def _check_extra(self, n: int, extra: dict[str, np.ndarray]) -> None:
        postings, offsets, widths = extra.get("postings"), extra.get("offsets"), extra.get("widths")
        if postings is None or offsets is None or widths is None or len(extra) != 3:
            raise CorruptDataError("the PDQ index file lacks its posting lists")
        layout = tuple(int(w) for w in widths)
        if widths.dtype != np.uint8 or not all(1 <= w <= 24 for w in layout) or sum(layout) != 256:
            raise CorruptDataError("the PDQ index file has an invalid chunk layout")
        bases = _kernels.offsets_bases(layout)
        if postings.shape != (len(layout), n) or postings.dtype != np.uint32:
            raise CorruptDataError("the PDQ index file has posting lists of the wrong shape")
        if offsets.shape != (bases[-1],) or offsets.dtype != np.uint32:
            raise CorruptDataError("the PDQ index file has offsets of the wrong shape")
        # Bounds are checked once here so the kernel can trust every position it reads.
        for c in range(len(layout)):
            table = offsets[bases[c] : bases[c + 1]]
            if table[0] != 0 or table[-1] != n or np.any(table[1:] < table[:-1]):
                raise CorruptDataError("the PDQ index file has inconsistent offsets")
        if n and int(postings.max()) >= n:
            raise CorruptDataError("the PDQ index file has posting entries out of range")

    def _search_main(self, main: MainSegment, queries: np.ndarray, max_distance: int) -> Hits:
        return _kernels.mih(
            main.rows,
            main.extra["postings"],
            main.extra["offsets"],
            tuple(int(w) for w in main.extra["widths"]),
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

"""PDQ range-search kernels: the C extension when it was built, else numpy code running the same algorithm.

Both return, for a batch of queries, the number of hits per query and the flat hit positions and distances.
"""

from __future__ import annotations

from functools import lru_cache
from types import ModuleType
from typing import NamedTuple

import numpy as np

CHUNKS = 16
KEYS = 1 << 16
# Beyond this chunk radius (max_distance >= 80) probing costs more than reading every row.
MAX_RADIUS = 4
# A probed candidate is a random memory access, a scanned row a sequential one; measured ~6x dearer.
SCAN_RATIO = 6


def _load_native() -> ModuleType | None:
    try:
        from sharedhash.index import _pdqkernel  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _pdqkernel  # type: ignore[no-any-return]


NATIVE: ModuleType | None = _load_native()


class Hits(NamedTuple):
    """Hits of a batch of queries: ``counts[i]`` hits for query i, in order, in ``positions``/``distances``."""

    counts: np.ndarray
    positions: np.ndarray
    distances: np.ndarray


def _from_native(raw: tuple[bytes, bytes, bytes]) -> Hits:
    counts, positions, distances = raw
    return Hits(
        np.frombuffer(counts, dtype=np.int64),
        np.frombuffer(positions, dtype=np.uint32).astype(np.int64),
        np.frombuffer(distances, dtype=np.uint16).astype(np.int64),
    )


@lru_cache(maxsize=MAX_RADIUS + 1)
def probe_masks(radius: int) -> np.ndarray:
    """Every 16-bit mask with at most ``radius`` bits set, fewest bits first."""
    masks = np.arange(KEYS, dtype=np.uint32)
    weights = np.bitwise_count(masks)
    order = np.argsort(weights, kind="stable")
    return masks[order][weights[order] <= radius].astype(np.uint16)


def _distances(rows: np.ndarray, query: np.ndarray) -> np.ndarray:
    words = rows.view(np.uint64)
    distances: np.ndarray = np.bitwise_count(words ^ query.view(np.uint64)).sum(axis=1, dtype=np.int64)
    return distances


def _scan_one(
    rows: np.ndarray, tomb: np.ndarray | None, query: np.ndarray, max_distance: int
) -> tuple[np.ndarray, np.ndarray]:
    distances = _distances(rows, query)
    keep = distances <= max_distance
    if tomb is not None:
        keep &= tomb[: len(rows)] == 0
    positions = np.flatnonzero(keep)
    return positions, distances[positions]


def _mih_one(
    rows: np.ndarray,
    postings: np.ndarray,
    offsets: np.ndarray,
    tomb: np.ndarray | None,
    query: np.ndarray,
    max_distance: int,
) -> tuple[np.ndarray, np.ndarray]:
    radius = max_distance // CHUNKS
    n = len(rows)
    if radius > MAX_RADIUS:
        return _scan_one(rows, tomb, query, max_distance)
    chunks = query.view(np.uint16)
    keys = (chunks[:, None] ^ probe_masks(radius)[None, :]).astype(np.int64)
    base = np.arange(CHUNKS, dtype=np.int64)[:, None] * (KEYS + 1)
    flat = offsets.reshape(-1)
    starts = flat[base + keys].reshape(-1)
    lengths = flat[base + keys + 1].reshape(-1) - starts
    total = int(lengths.sum())
    if total * SCAN_RATIO > n:
        return _scan_one(rows, tomb, query, max_distance)
    # Positions of postings[c][start:end] for every probe, as one gather from the flattened (16, n) array.
    global_starts = starts + np.repeat(np.arange(CHUNKS, dtype=np.int64) * n, keys.shape[1])
    run_starts = np.cumsum(lengths) - lengths
    index = np.arange(total, dtype=np.int64) + np.repeat(global_starts - run_starts, lengths)
    candidates = np.unique(postings.reshape(-1)[index]).astype(np.int64)
    distances = _distances(rows[candidates], query)
    keep = distances <= max_distance
    if tomb is not None:
        keep &= tomb[candidates] == 0
    return candidates[keep], distances[keep]


def _collect(parts: list[tuple[np.ndarray, np.ndarray]]) -> Hits:
    counts = np.array([len(p) for p, _ in parts], dtype=np.int64)
    if not parts:
        empty = np.zeros(0, dtype=np.int64)
        return Hits(counts, empty, empty)
    return Hits(counts, np.concatenate([p for p, _ in parts]), np.concatenate([d for _, d in parts]))


def mih(
    rows: np.ndarray,
    postings: np.ndarray,
    offsets: np.ndarray,
    tomb: np.ndarray | None,
    queries: np.ndarray,
    max_distance: int,
    *,
    native: bool = True,
) -> Hits:
    """Range search of ``queries`` (q, 32) uint8 over ``rows`` through the multi-index posting lists."""
    if native and NATIVE is not None:
        return _from_native(NATIVE.mih(rows, postings, offsets, tomb, queries, max_distance))
    return _collect([_mih_one(rows, postings, offsets, tomb, q, max_distance) for q in queries])


def scan(
    rows: np.ndarray, tomb: np.ndarray | None, queries: np.ndarray, max_distance: int, *, native: bool = True
) -> Hits:
    """Range search of ``queries`` by comparing with every row."""
    if native and NATIVE is not None:
        return _from_native(NATIVE.scan(rows, tomb, queries, max_distance))
    return _collect([_scan_one(rows, tomb, q, max_distance) for q in queries])

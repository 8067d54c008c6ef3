"""PDQ range-search kernels: the C extension when it was built, else numpy code running the same algorithm.

Both return, for a batch of queries, the number of hits per query and the flat hit positions and distances.
A chunk layout is a tuple of chunk widths in bits adding up to 256; chunk c holds the bits starting at the sum
of the widths before it (bit b of a row is bit b % 64 of its little-endian 64-bit word b // 64). With g group
bits, each chunk's offsets table has an entry per group of 2**g consecutive keys and each posting holds the row
position in its low 32 - g bits and the low g bits of its key above them (g = 0: plain CSR, one entry per key).
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations
from types import ModuleType
from typing import NamedTuple

import numpy as np

# Beyond this chunk radius probing costs more than reading every row.
MAX_RADIUS = 3
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


# From this many rows the wide layout below reads fewer postings than 16 chunks of 16 bits.
WIDE_FROM = 1 << 22
# Group bits of the wide layout: an offsets entry per 4 keys (16 MB per 24-bit chunk; ~2.4 postings per group
# at 10M). Groups of 8 keys halve the tables but cost ~5% more CPU per query; one key per entry needs 540 MB.
WIDE_GROUP_BITS = 2


def layout_for(n: int) -> tuple[int, ...]:
    """The chunk layout for a main segment of ``n`` rows.

    16 chunks of 16 bits keep the offsets table at 4 MB. From 4 million rows, 11 chunks (six of 24 bits, four
    of 23, one of 20) with grouped offsets: at d = 31 the ten wide chunks are probed within 2 bits and the
    narrow one within 1, which gives about 2.8x fewer candidates than 12 chunks of 21-22 bits, for the same
    135 MB offsets table and one posting list less.
    """
    return (16,) * 16 if n < WIDE_FROM else (24,) * 6 + (23,) * 4 + (20,)


def group_bits_for(n: int) -> int:
    """Group bits of the default layout for ``n`` rows (0 where positions would not fit beside the key bits)."""
    return WIDE_GROUP_BITS if WIDE_FROM <= n <= 1 << (32 - WIDE_GROUP_BITS) else 0


def position_mask(group_bits: int) -> int:
    """The bits of a posting that hold its row position."""
    return (1 << (32 - group_bits)) - 1


def chunk_radii(widths: tuple[int, ...], max_distance: int) -> list[int]:
    """Probe radius per chunk: any radii with sum(radius + 1) > max_distance find every match (pigeonhole).

    The max_distance + 1 units are spread evenly and the remainder goes to the widest chunks, where a larger
    radius costs the fewest candidates; -1 means the chunk is not probed. Same rule as the C kernel.
    """
    m = len(widths)
    base, extra = divmod(max_distance + 1, m)
    radii = [base - 1] * m
    for c in sorted(range(m), key=lambda c: -widths[c])[:extra]:
        radii[c] += 1
    return radii


def chunk_starts(widths: tuple[int, ...]) -> list[int]:
    """Bit offset of each chunk."""
    return [sum(widths[:c]) for c in range(len(widths))]


def offsets_bases(widths: tuple[int, ...], group_bits: int = 0) -> list[int]:
    """Where each chunk's ``2**(width - group_bits) + 1`` offsets begin in the flat offsets array (last: its length)."""
    bases = [0]
    for w in widths:
        bases.append(bases[-1] + (1 << (w - group_bits)) + 1)
    return bases


def chunk_keys(rows: np.ndarray, start: int, width: int) -> np.ndarray:
    """The chunk starting at bit ``start`` of every ``(n, 32)`` uint8 row, as uint32 keys."""
    words = rows.view(np.uint64)
    w, s = divmod(start, 64)
    value = words[:, w] >> np.uint64(s)
    if s + width > 64:
        value |= words[:, w + 1] << np.uint64(64 - s)
    return (value & np.uint64((1 << width) - 1)).astype(np.uint32)


def _from_native(raw: tuple[bytes, bytes, bytes]) -> Hits:
    counts, positions, distances = raw
    return Hits(
        np.frombuffer(counts, dtype=np.int64),
        np.frombuffer(positions, dtype=np.uint32).astype(np.int64),
        np.frombuffer(distances, dtype=np.uint16).astype(np.int64),
    )


@lru_cache(maxsize=64)
def probe_masks(width: int, radius: int) -> np.ndarray:
    """Every ``width``-bit mask with at most ``radius`` bits set."""
    masks = [0]
    for r in range(1, radius + 1):
        masks.extend(sum(1 << b for b in bits) for bits in combinations(range(width), r))
    return np.array(masks, dtype=np.int64)


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
    widths: tuple[int, ...],
    group_bits: int,
    tomb: np.ndarray | None,
    query: np.ndarray,
    max_distance: int,
) -> tuple[np.ndarray, np.ndarray]:
    n = len(rows)
    radii = chunk_radii(widths, max_distance)
    if max(radii) > MAX_RADIUS:
        return _scan_one(rows, tomb, query, max_distance)
    bases = offsets_bases(widths, group_bits)
    low_mask = (1 << group_bits) - 1
    starts, lengths, budgets, query_lows = [], [], [], []
    for c, (start, width) in enumerate(zip(chunk_starts(widths), widths, strict=True)):
        if radii[c] < 0:
            continue
        key = int(chunk_keys(query[None, :], start, width)[0])
        masks = probe_masks(width - group_bits, radii[c])
        groups = bases[c] + ((key >> group_bits) ^ masks)
        begin = offsets[groups].astype(np.int64)
        starts.append(begin + c * n)
        lengths.append(offsets[groups + 1].astype(np.int64) - begin)
        # How many of the key's low bits may still differ once the group's high bits have been paid for.
        budgets.append(radii[c] - np.bitwise_count(masks))
        query_lows.append(np.full(len(masks), key & low_mask, dtype=np.int64))
    all_starts, all_lengths = np.concatenate(starts), np.concatenate(lengths)
    total = int(all_lengths.sum())
    if total * SCAN_RATIO > n:
        return _scan_one(rows, tomb, query, max_distance)
    # Postings of every probed group, as one gather from the flattened (m, n) array.
    run_starts = np.cumsum(all_lengths) - all_lengths
    index = np.arange(total, dtype=np.int64) + np.repeat(all_starts - run_starts, all_lengths)
    entries = postings.reshape(-1)[index].astype(np.int64)
    lows = entries >> (32 - group_bits)
    within = np.bitwise_count(lows ^ np.repeat(np.concatenate(query_lows), all_lengths)) <= np.repeat(
        np.concatenate(budgets), all_lengths
    )
    candidates = np.unique(entries[within] & position_mask(group_bits))
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
    widths: tuple[int, ...],
    group_bits: int,
    tomb: np.ndarray | None,
    queries: np.ndarray,
    max_distance: int,
    *,
    native: bool = True,
) -> Hits:
    """Range search of ``queries`` (q, 32) uint8 over ``rows`` through the multi-index posting lists."""
    if native and NATIVE is not None:
        raw = NATIVE.mih(rows, postings, offsets, bytes(widths), group_bits, tomb, queries, max_distance)
        return _from_native(raw)
    return _collect([_mih_one(rows, postings, offsets, widths, group_bits, tomb, q, max_distance) for q in queries])


def scan(
    rows: np.ndarray, tomb: np.ndarray | None, queries: np.ndarray, max_distance: int, *, native: bool = True
) -> Hits:
    """Range search of ``queries`` by comparing with every row."""
    if native and NATIVE is not None:
        return _from_native(NATIVE.scan(rows, tomb, queries, max_distance))
    return _collect([_scan_one(rows, tomb, q, max_distance) for q in queries])

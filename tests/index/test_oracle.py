"""Every fast index returns exactly what the brute-force linear index returns (hypothesis-driven)."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharedhash.index import LinearIndex, Md5Index, PdqIndex, Sha1Index, Sha256Index
from sharedhash.index._kernels import chunk_radii
from sharedhash.index.segments import SegmentedIndex

# Small layouts for the hypothesis test (a 22-bit chunk's offsets table is 16 MB to build per example); the
# layouts used from 4M hashes (old files and new) are checked on every distance below.
LAYOUTS = [None, (12,) * 20 + (16,), (8,) * 32]
# Keys per offsets entry: 2**group_bits (None: the index's default for the layout).
GROUP_BITS = [None, 1, 3]
WIDE = (24,) * 6 + (23,) * 4 + (20,)


def _near(value: str, bits: int, rng: random.Random) -> str:
    flipped = int(value, 16)
    for bit in rng.sample(range(256), bits):
        flipped ^= 1 << bit
    return f"{flipped:064x}"


@st.composite
def pdq_workloads(draw: st.DrawFn) -> tuple[list[str], list[str], list[int], list[int]]:
    """Stored values (random, clustered near-duplicates, one value under many ids), queries, removals, distances."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    centres = [f"{rng.getrandbits(256):064x}" for _ in range(draw(st.integers(1, 6)))]
    values: list[str] = []
    for _ in range(draw(st.integers(0, 120))):
        kind = rng.random()
        if kind < 0.3:
            values.append(f"{rng.getrandbits(256):064x}")
        elif kind < 0.9:
            values.append(_near(rng.choice(centres), rng.randint(0, 70), rng))
        else:
            values.append(centres[0])
    queries = [_near(rng.choice(centres), rng.randint(0, 60), rng) for _ in range(6)] + [centres[0]]
    removals = rng.sample(range(len(values)), k=rng.randint(0, len(values))) if values else []
    distances = draw(st.lists(st.integers(0, 64), min_size=1, max_size=3)) + [256]
    return values, queries, removals, distances


def _check(index: SegmentedIndex, oracle: LinearIndex, queries: list[str], distances: list[int]) -> None:
    for d in distances:
        assert index.query_batch(queries, d) == oracle.query_batch(queries, d), d
    assert len(index) == len(oracle)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    workload=pdq_workloads(),
    layout=st.sampled_from(LAYOUTS),
    group_bits=st.sampled_from(GROUP_BITS),
    native=st.booleans(),
    compact=st.booleans(),
)
def test_pdq_index_equals_oracle(
    workload: tuple[list[str], list[str], list[int], list[int]],
    layout: tuple[int, ...] | None,
    group_bits: int | None,
    native: bool,
    compact: bool,
) -> None:
    values, queries, removals, distances = workload
    index = PdqIndex(layout=layout, group_bits=group_bits, compact_threshold=40, background_compaction=False)
    index.native = native
    oracle = LinearIndex("pdq")
    ids = list(range(len(values)))
    half = len(values) // 2
    # Half built in one pass, half added live; then removals, and optionally a compaction.
    index.add(values[:half], ids[:half])
    index.compact()
    index.add(values[half:], ids[half:])
    oracle.add(values, ids)
    _check(index, oracle, queries, distances)
    assert index.remove(removals) == oracle.remove(removals)
    if compact:
        index.compact()
    _check(index, oracle, queries, distances)


@pytest.mark.parametrize("widths", [(16,) * 16, (22,) * 4 + (21,) * 8, WIDE, (24,) * 10 + (16,), (5,) * 51 + (1,)])
def test_chunk_radii_satisfy_the_pigeonhole_bound(widths: tuple[int, ...]) -> None:
    for d in range(257):
        radii = chunk_radii(widths, d)
        assert sum(r + 1 for r in radii) == d + 1
        assert max(radii) - min(radii) <= 1


@pytest.mark.parametrize("native", [True, False])
def test_every_distance_0_to_64_on_clustered_data(native: bool) -> None:
    rng = random.Random(7)
    centre = f"{rng.getrandbits(256):064x}"
    values = [_near(centre, rng.randint(0, 80), rng) for _ in range(400)] + [centre] * 30
    ids = list(range(len(values)))
    oracle = LinearIndex("pdq")
    oracle.add(values, ids)
    queries = [centre, _near(centre, 20, rng), f"{rng.getrandbits(256):064x}"]
    expected = [oracle.query_batch(queries, d) for d in range(65)]
    shapes = [(layout, None) for layout in LAYOUTS] + [((22,) * 4 + (21,) * 8, 0), (WIDE, 2), ((16,) * 16, 5)]
    for layout, group_bits in shapes:
        index = PdqIndex.from_arrays(PdqIndex().encode(values), ids, layout=layout, group_bits=group_bits)
        index.native = native
        for d in range(65):
            assert index.query_batch(queries, d) == expected[d], (layout, group_bits, d)


@pytest.mark.parametrize("cls", [Md5Index, Sha1Index, Sha256Index])
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_exact_index_equals_oracle(cls: type[SegmentedIndex], data: st.DataObject) -> None:
    rng = random.Random(data.draw(st.integers(0, 2**32)))
    pool = [f"{rng.getrandbits(8 * cls.width):0{2 * cls.width}x}" for _ in range(8)]
    values = [rng.choice(pool) for _ in range(data.draw(st.integers(0, 60)))]
    ids = rng.sample(range(10_000), len(values))
    index, oracle = cls(compact_threshold=16, background_compaction=False), LinearIndex(cls.hash_type)
    half = len(values) // 2
    index.add(values[:half], ids[:half])
    index.compact()
    index.add(values[half:], ids[half:])
    oracle.add(values, ids)
    queries = [*pool, pool[0].upper()]
    assert index.query_batch(queries, 0) == oracle.query_batch(queries, 0)
    gone = ids[::3]
    assert index.remove(gone) == oracle.remove(gone)
    assert index.query_batch(queries, 5) == oracle.query_batch(queries, 5)
    assert len(index) == len(oracle)


@pytest.mark.parametrize("native", [True, False])
def test_region_index_equals_oracle_on_real_region_values(native: bool) -> None:
    """pdqr values of related pictures (crops, padding, captions of a few samples) and their query probes: the
    256-bit index answers exactly as brute force at every distance, and the evidence rule decides the same."""
    from PIL import Image, ImageDraw

    from sharedhash.hashing.pdq import PixelSource
    from sharedhash.hashing.regions import query_probes, region_values
    from sharedhash.hashing.samples import make_sample
    from sharedhash.index import index_class
    from sharedhash.index.regions import match_probes

    pictures: list[Image.Image] = []
    for seed in range(4):
        base = make_sample("texture" if seed % 2 else "shapes", 360, 280, seed=seed)
        padded = Image.new("RGB", (360, 360), (0, 0, 0))
        padded.paste(base, (0, 40))
        captioned = base.copy()
        ImageDraw.Draw(captioned).rectangle((0, 240, 360, 280), fill=(255, 255, 255))
        pictures += [base, base.crop((18, 14, 342, 266)), padded, captioned]
    values: list[str] = []
    owners: list[int] = []
    for n, picture in enumerate(pictures):
        for v in region_values(PixelSource(picture)).values:
            values.append(v.value)
            owners.append(n)
    cls = index_class("pdqr")
    assert cls is not None
    assert issubclass(cls, PdqIndex)
    index = cls.from_arrays(cls().encode(values), list(range(len(values))))
    index.native = native
    oracle = LinearIndex("pdqr")
    oracle.add(values, list(range(len(values))))
    for picture in pictures[::3]:
        probes, own = query_probes(PixelSource(picture))
        queries = [p.value for p in probes]
        for d in range(0, 65, 4):
            assert index.query_batch(queries, d) == oracle.query_batch(queries, d), d
        fast = match_probes(index, probes, owners.__getitem__, trimmed=own.trimmed)
        slow = match_probes(oracle, probes, owners.__getitem__, trimmed=own.trimmed)
        assert fast == slow
        assert fast

"""The video index: exact against comparing with every listed video by brute force (hypothesis)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharedhash.errors import CorruptDataError
from sharedhash.hashing.vpdq import MatchRule, VpdqFrame, VpdqHash, match_videos
from sharedhash.index import PdqIndex, make_index
from sharedhash.index.video import VideoIndex, frames_against_images


def _flip(value: str, bits: int, rng: random.Random) -> str:
    v = int(value, 16)
    for b in rng.sample(range(256), bits):
        v ^= 1 << b
    return f"{v:064x}"


def _library(rng: random.Random, videos: int, base: list[str]) -> list[VpdqHash]:
    """Listed videos built from a small pool of frame hashes plus noise, so that many share near frames."""
    out = []
    for _ in range(videos):
        n = rng.randint(1, 12)
        out.append(
            VpdqHash(
                tuple(
                    VpdqFrame(
                        i * 30,
                        rng.choice([20, 49, 50, 80, 100]),
                        _flip(rng.choice(base), rng.randint(0, 40), rng),
                        float(i),
                    )
                    for i in range(n)
                )
            )
        )
    return out


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32),
    videos=st.integers(1, 40),
    distance=st.integers(0, 64),
    quality=st.integers(0, 100),
    listed_percent=st.floats(0, 100),
)
def test_index_equals_brute_force(seed: int, videos: int, distance: int, quality: int, listed_percent: float) -> None:
    rng = random.Random(seed)
    base = [f"{rng.getrandbits(256):064x}" for _ in range(6)]
    library = _library(rng, videos, base)
    rule = MatchRule(min_quality=quality, frame_distance=distance, listed_percent=listed_percent)
    index = VideoIndex(rule)
    ids = [rng.randrange(10**9) for _ in library]
    index.add([v.serialise() for v in library], ids)
    # Re-adding an id replaces it, removing forgets it.
    index.add([library[0].serialise()], [ids[0]])
    if len(library) > 2:
        index.remove([ids[1]])
    alive = {i: v for i, v in zip(ids, library, strict=True) if len(library) <= 2 or i != ids[1]}
    query = _library(rng, 1, base)[0]
    got = {h.id: h.result for h in index.query_video(query, all_hits=True)}
    for vid, listed in alive.items():
        expected = match_videos(query, listed, rule)
        if expected.query_percent == 0:
            assert vid not in got
            continue
        assert got[vid] == expected
    matched = {h.id for h in index.query_video(query)}
    assert matched == {i for i, v in alive.items() if match_videos(query, v, rule).match}


def test_image_against_videos_and_frames_against_images() -> None:
    rng = random.Random(3)
    frames = [f"{rng.getrandbits(256):064x}" for _ in range(8)]
    video = VpdqHash(tuple(VpdqFrame(i * 25, 100, h, i * 1.0) for i, h in enumerate(frames)))
    index = VideoIndex()
    index.add([video.serialise()], [42])
    hits = index.query_image(_flip(frames[5], 4, rng))
    assert [(h.id, h.distance) for h in hits] == [(42, 4)]
    assert [(r.start, r.end) for r in hits[0].seconds] == [(5.0, 5.0)]
    assert index.query_image(f"{rng.getrandbits(256):064x}") == []
    images = PdqIndex()
    images.add([frames[2], frames[3], f"{rng.getrandbits(256):064x}"], [7, 8, 9])
    found = frames_against_images(video, images)
    assert [(h.id, h.distance, [(r.start, r.end) for r in h.seconds]) for h in found] == [
        (7, 0, [(2.0, 2.0)]),
        (8, 0, [(3.0, 3.0)]),
    ]


def test_hash_index_interface_save_and_load(tmp_path: Path) -> None:
    rng = random.Random(5)
    a = VpdqHash(tuple(VpdqFrame(i, 100, f"{rng.getrandbits(256):064x}", float(i)) for i in range(5)))
    index = make_index("vpdq")
    assert isinstance(index, VideoIndex)
    index.add([a.serialise()], [1])
    assert [(m.id, m.distance) for m in index.query(a.serialise(), 20)] == [(1, 0)]
    partial = VpdqHash(a.frames[:3])
    assert [(m.id, m.distance) for m in index.query(partial.serialise(), 40)] == [(1, 40)]
    assert index.query(partial.serialise(), 20) == []
    index.save(tmp_path / "v.shvidx")
    loaded = VideoIndex.load(tmp_path / "v.shvidx")
    assert loaded.values_of([1, 2]) == [a.serialise(), None]
    damaged = (tmp_path / "v.shvidx").read_text().replace("vpdq1", "vpdq2", 1)
    (tmp_path / "bad.shvidx").write_text(damaged)
    with pytest.raises(CorruptDataError):
        VideoIndex.load(tmp_path / "bad.shvidx")


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32))
def test_larger_index_with_compaction_equals_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    base = [f"{rng.getrandbits(256):064x}" for _ in range(40)]
    library = _library(rng, 3000, base)
    index = VideoIndex(compact_threshold=2048, background_compaction=False)
    index.add_parsed(library, list(range(len(library))))
    index.compact()
    query = library[rng.randrange(len(library))]
    got = {h.id: h.result for h in index.query_video(query)}
    want = {i: r for i, v in enumerate(library) if (r := match_videos(query, v)).match}
    assert got == want

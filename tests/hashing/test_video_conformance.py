"""vPDQ conformance: every clip of shared/testdata/video against Meta's published output, and PyPI ``vpdq`` (the
reference binding, built against this machine's FFmpeg) as the oracle on generated clips."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharedhash.hashing.video import hash_video
from sharedhash.hashing.vpdq import VpdqHash
from tests.support.video_clips import write_clip

pytestmark = pytest.mark.conformance


def _expected(path: Path) -> list[tuple[int, int, str]]:
    rows = [line.strip().split(",") for line in path.read_text().splitlines() if line.strip()]
    return [(int(r[0]), int(r[1]), r[2]) for r in rows]


def _distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def test_every_clip_matches_the_published_reference_output(testdata: Path) -> None:
    clips = sorted((testdata / "video").glob("*.mp4"))
    assert len(clips) == 14
    exact = total = 0
    for clip in clips:
        expected = _expected(testdata / "video" / "vpdq-expected" / f"{clip.stem}.txt")
        ours = hash_video(clip, seconds_per_hash=0, digests=()).vpdq.frames
        assert [f.frame_number for f in ours] == [e[0] for e in expected], clip.name
        for frame, (_, quality, pdq) in zip(ours, expected, strict=True):
            if frame.quality >= 50 and quality >= 50:
                assert _distance(frame.pdq, pdq) < 31, (clip.name, frame.frame_number)
            exact += frame.pdq == pdq and frame.quality == quality
            total += 1
    # Measured: 3,048 of 5,872 frames are bit-exact with the published files, which another FFmpeg decoded
    # (on chair-19-sd-bar the reference binding built here is bit-exact on the same 270 of 564: the difference is
    # FFmpeg, not vPDQ).
    assert total == 5872
    assert exact >= 3000


def _oracle(path: Path, seconds_per_hash: float) -> list[tuple[int, str, int, float]]:
    vpdq = pytest.importorskip("vpdq")
    return [
        (f.frame_number, f.hex, f.quality, f.timestamp)
        for f in vpdq.computeHash(str(path), seconds_per_hash=seconds_per_hash)
    ]


def test_planned_decode_equals_every_frame_decode_on_the_reference_clips(testdata: Path) -> None:
    for clip in sorted((testdata / "video").glob("*.mp4"))[::3]:
        planned = hash_video(clip, seconds_per_hash=1, digests=())
        full = hash_video(clip, seconds_per_hash=1, digests=(), planned=False)
        assert planned.mode == "planned"
        assert planned.vpdq == full.vpdq
        assert planned.frames_decoded < full.frames_decoded


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    width=st.integers(20, 90),
    height=st.integers(12, 70),
    frames=st.integers(1, 45),
    fps=st.sampled_from([1, 5, 10, 24, 25, Fraction(30000, 1001), 60]),
    seconds_per_hash=st.sampled_from([0.0, 0.5, 1.0, 2.0]),
    bframes=st.integers(0, 3),
    gop=st.integers(1, 30),
    seed=st.integers(0, 50),
    rotate=st.sampled_from([None, 90, 180]),
    steps=st.one_of(st.none(), st.lists(st.integers(10, 400), min_size=1, max_size=5)),
)
def test_generated_clips_agree_with_the_reference_binding(
    tmp_path: Path,
    width: int,
    height: int,
    frames: int,
    fps: int | Fraction,
    seconds_per_hash: float,
    bframes: int,
    gop: int,
    seed: int,
    rotate: int | None,
    steps: list[int] | None,
) -> None:
    # x264 needs even sizes for yuv420p; odd sizes are covered by the next test. Frames under 20 pixels wide are
    # left out: there the bundled FFmpeg's swscale (PyAV) and the system one the binding links differ (measured at
    # 8 and 16 pixels; from 20 up, identical).
    width, height = width // 2 * 2, height // 2 * 2
    clip = write_clip(
        tmp_path / "clip.mp4",
        frames=frames,
        fps=fps,
        width=width,
        height=height,
        seed=seed,
        bframes=bframes,
        gop=gop,
        rotate=rotate,
        pts_steps=steps,
    )
    reference = _oracle(clip, seconds_per_hash)
    ours = hash_video(clip, seconds_per_hash=seconds_per_hash, digests=())
    _assert_conformant(ours.vpdq, reference)
    # Our planned decode (skipping what the kept frames do not need) equals decoding every frame, bit for bit.
    assert hash_video(clip, seconds_per_hash=seconds_per_hash, digests=(), planned=False).vpdq == ours.vpdq


def _assert_conformant(ours: VpdqHash, reference: list[tuple[int, str, int, float]]) -> None:
    """Same frames and times; hashes within the reference's own test tolerance. PyAV bundles a newer FFmpeg than
    the system one the binding links, and the two swscale versions round a few pixels differently (most frames
    are bit-exact; the others differ by a few bits)."""
    assert [f.frame_number for f in ours.frames] == [r[0] for r in reference]
    for frame, (_, pdq, quality, ts) in zip(ours.frames, reference, strict=True):
        assert abs(frame.timestamp - ts) < 1e-4
        assert abs(frame.quality - quality) <= 5
        if frame.quality >= 50 and quality >= 50:
            assert _distance(frame.pdq, pdq) < 31


@pytest.mark.parametrize(
    ("codec", "width", "height", "steps"),
    [("mpeg4", 45, 33, None), ("mpeg4", 61, 24, None), ("libx265", 96, 64, None)],
)
def test_other_codecs_odd_sizes_and_variable_rates_agree_with_the_reference(
    tmp_path: Path, codec: str, width: int, height: int, steps: list[int] | None
) -> None:
    try:
        clip = write_clip(tmp_path / "clip.mp4", frames=45, width=width, height=height, codec=codec, pts_steps=steps)
    except Exception as exc:  # e.g. a PyAV build without this encoder
        pytest.skip(f"cannot write {codec}: {exc}")
    for seconds_per_hash in (0.0, 1.0):
        reference = _oracle(clip, seconds_per_hash)
        ours = hash_video(clip, seconds_per_hash=seconds_per_hash, digests=())
        _assert_conformant(ours.vpdq, reference)
        full = hash_video(clip, seconds_per_hash=seconds_per_hash, digests=(), planned=False)
        assert full.vpdq == ours.vpdq


@pytest.mark.parametrize("container", ["mp4", "mkv", "ts"])
def test_planned_decoding_in_every_container_equals_the_reference(tmp_path: Path, container: str) -> None:
    # Length-prefixed (MP4, Matroska) and start-code (MPEG-TS) H.264: IDR pictures are found in both.
    clip = write_clip(tmp_path / f"clip.{container}", frames=120, width=96, height=64, gop=30, fps=10, seed=4)
    planned = hash_video(clip, seconds_per_hash=1, digests=())
    full = hash_video(clip, seconds_per_hash=1, digests=(), planned=False)
    assert planned.mode == "planned"
    assert planned.vpdq == full.vpdq
    assert planned.frames_decoded < full.frames_decoded
    _assert_conformant(planned.vpdq, _oracle(clip, 1.0))

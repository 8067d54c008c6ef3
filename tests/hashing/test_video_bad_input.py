"""Bad video input: every case a specific error code within the configured limits; a bounded fuzz test."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sharedhash.errors import MediaError, SharedhashError
from sharedhash.hashing.video import VideoLimits, hash_video
from tests.support.video_clips import write_audio_only, write_clip


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clip(tmp_path_factory.mktemp("v") / "clip.mp4", frames=30, width=64, height=48, fps=10)


def _code(path: Path, **limits: Any) -> str:
    base = VideoLimits.from_settings()
    with pytest.raises(SharedhashError) as info:
        hash_video(path, limits=dataclasses.replace(base, **limits) if limits else None)
    return info.value.code


def test_zero_length_and_non_videos(tmp_path: Path) -> None:
    (tmp_path / "empty.mp4").write_bytes(b"")
    assert _code(tmp_path / "empty.mp4") == "empty_file"
    (tmp_path / "notes.mp4").write_text("quuxvid zorblax, not a video\n" * 20)
    assert _code(tmp_path / "notes.mp4") == "not_a_video"
    (tmp_path / "noise.mkv").write_bytes(bytes(range(256)) * 40)
    assert _code(tmp_path / "noise.mkv") == "not_a_video"


def test_playlists_and_images_are_not_opened_as_videos(tmp_path: Path) -> None:
    playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:9/zorblax.ts\n#EXT-X-ENDLIST\n"
    (tmp_path / "list.m3u8").write_text(playlist)
    assert _code(tmp_path / "list.m3u8") == "not_a_video"
    (tmp_path / "concat.txt").write_text("ffconcat version 1.0\nfile '/etc/hostname'\n")
    assert _code(tmp_path / "concat.txt") == "not_a_video"
    from sharedhash.hashing.samples import make_sample

    make_sample("rings", 64, 48).save(tmp_path / "still.jpg")
    assert _code(tmp_path / "still.jpg") == "not_a_video"


def test_audio_only(tmp_path: Path) -> None:
    assert _code(write_audio_only(tmp_path / "sound.m4a")) == "no_video_stream"


def test_truncated_and_corrupt(tmp_path: Path, clip: Path) -> None:
    data = clip.read_bytes()
    for cut in (100, len(data) // 2):  # the index (moov) is at the end of this file
        (tmp_path / "cut.mp4").write_bytes(data[:cut])
        assert _code(tmp_path / "cut.mp4") == "truncated_video"
    damaged = bytearray(data)
    at = data.find(b"avcC")
    damaged[at + 4 : at + 40] = bytes(36)  # the decoder's parameter sets
    (tmp_path / "damaged.mp4").write_bytes(bytes(damaged))
    assert _code(tmp_path / "damaged.mp4") == "corrupt_media"


def test_truncated_with_the_index_first(tmp_path: Path, testdata: Path) -> None:
    data = (testdata / "video" / "doorknob-hd-no-bar.mp4").read_bytes()
    if data.find(b"moov") > data.find(b"mdat"):
        pytest.skip("the index is at the end of this file")
    (tmp_path / "cut.mp4").write_bytes(data[: len(data) // 2])
    assert _code(tmp_path / "cut.mp4") == "truncated_video"


def test_limits_each_have_their_code(clip: Path) -> None:
    assert _code(clip, max_frame_pixels=64 * 48 - 1) == "video_too_large"
    assert _code(clip, max_seconds=2.5) == "video_too_long"
    assert _code(clip, max_frames=29) == "video_too_long"
    assert _code(clip, max_fps=5.0) == "bad_frame_rate"
    assert _code(clip, max_wall_seconds=1e-9) == "video_timeout"
    assert _code(clip, max_bytes=100) == "file_too_large"


def test_tiny_frames_and_absurd_rates(tmp_path: Path) -> None:
    tiny = write_clip(tmp_path / "tiny.mp4", frames=5, width=4, height=4, codec="mpeg4")
    assert _code(tiny) == "image_too_small"
    fast = write_clip(tmp_path / "fast.mp4", frames=5, width=32, height=32, fps=2000, codec="mpeg4")
    assert _code(fast) == "bad_frame_rate"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), min_size=1, max_size=30),
    cut=st.one_of(st.none(), st.floats(0, 1)),
)
def test_fuzzed_clips_give_results_or_clean_errors(
    tmp_path: Path, clip: Path, edits: list[tuple[float, int]], cut: float | None
) -> None:
    data = bytearray(clip.read_bytes())
    for where, value in edits:
        data[min(len(data) - 1, int(where * len(data)))] = value
    if cut is not None:
        data = data[: int(cut * len(data))]
    path = tmp_path / "fuzz.mp4"
    path.write_bytes(bytes(data))
    limits = dataclasses.replace(VideoLimits.from_settings(), max_wall_seconds=20.0, max_frames=10_000)
    error: SharedhashError | None = None
    try:
        result = hash_video(path, limits=limits, digests=())
    except (MediaError, SharedhashError) as exc:
        error = exc
    if error is not None:  # a specific, clean error
        assert error.code not in ("error", "media_error")
        assert error.message
    else:
        assert all(0 <= f.quality <= 100 for f in result.vpdq.frames)

"""vPDQ values: the lossless versioned text, python-threatexchange's forms, and the reference match rule."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sharedhash.errors import InvalidHashError, InvalidInputError
from sharedhash.hashing import get_hash_type
from sharedhash.hashing.vpdq import MatchRule, VpdqFrame, VpdqHash, match_videos, parse

_hex = st.binary(min_size=32, max_size=32).map(bytes.hex)


@st.composite
def videos(draw: st.DrawFn) -> VpdqHash:
    numbers = sorted(draw(st.sets(st.integers(0, 10**7), min_size=1, max_size=30)))
    fps = draw(st.sampled_from([1.0, 23.976, 25.0, 29.97, 30.0, 60.0, 0.5]))
    return VpdqHash(tuple(VpdqFrame(n, draw(st.integers(0, 100)), draw(_hex), round(n / fps, 6)) for n in numbers))


@given(videos())
def test_serialisation_is_lossless_and_canonical(video: VpdqHash) -> None:
    text = video.serialise()
    assert text.startswith("vpdq1;")
    assert parse(text) == video
    assert parse(text).serialise() == text
    assert get_hash_type("vpdq").validate(text) == text


@given(videos())
def test_threatexchange_list_form_is_read(video: VpdqHash) -> None:
    # python-threatexchange's current form: a JSON list of "hex,quality,seconds" (no frame numbers: positions).
    te = json.dumps([f"{f.pdq.upper()},{f.quality},{f.timestamp:.3}" for f in video.frames])
    read = parse(te)
    assert [(f.pdq, f.quality) for f in read.frames] == [(f.pdq, f.quality) for f in video.frames]
    assert [f.frame_number for f in read.frames] == list(range(len(video)))
    # Their timestamps are read as given (3 significant digits there), never produced by us.
    assert parse(video.to_threatexchange()).frames[0].timestamp == video.frames[0].timestamp


def test_threatexchange_legacy_object_form_is_read() -> None:
    legacy = json.dumps(
        {
            "30": {"quality": 90, "hash": "f" * 64, "timestamp": 1.0},
            "0": {"quality": 80, "hash": "0" * 64, "timestamp": 0},
        }
    )
    value = parse(legacy)
    assert [(f.frame_number, f.quality, f.timestamp) for f in value.frames] == [(0, 80, 0.0), (30, 90, 1.0)]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "vpdq1;",
        "vpdq2;0,100," + "0" * 64 + ",0.000000",
        "vpdq1;0,101," + "0" * 64 + ",0.000000",
        "vpdq1;0,100," + "0" * 63 + ",0.000000",
        "vpdq1;0,100," + "g" * 64 + ",0.000000",
        "vpdq1;0,100," + "0" * 64 + ",-1",
        "vpdq1;0,100," + "0" * 64 + ",nan",
        "vpdq1;5,100," + "0" * 64 + ",0;5,100," + "0" * 64 + ",0",
        "vpdq1;0,100," + "0" * 64,
        "[1, 2]",
        '{"x": {}}',
        "[",
        "e" * 64,
    ],
)
def test_malformed_values_are_refused_with_a_clear_error(bad: str) -> None:
    with pytest.raises(InvalidHashError, match="not a vpdq value"):
        parse(bad)


def _reference_rule(query: VpdqHash, listed: VpdqHash, quality: int, distance: int) -> tuple[float, float]:
    """The reference's matchTwoHashBrute, written out loop by loop (with python-threatexchange's <= distance)."""
    q = [f for f in query.frames if f.quality >= quality]
    t = [f for f in listed.frames if f.quality >= quality]
    if not q or not t:
        return 0.0, 0.0

    def count(a: list[VpdqFrame], b: list[VpdqFrame]) -> int:
        return sum(any((int(x.pdq, 16) ^ int(y.pdq, 16)).bit_count() <= distance for y in b) for x in a)

    return count(q, t) * 100.0 / len(q), count(t, q) * 100.0 / len(t)


def _flip(hex_value: str, bits: int, rng: random.Random) -> str:
    v = int(hex_value, 16)
    for b in rng.sample(range(256), bits):
        v ^= 1 << b
    return f"{v:064x}"


@given(videos(), st.integers(0, 2**32), st.integers(0, 60), st.integers(0, 100))
def test_match_rule_equals_the_reference_loops(listed: VpdqHash, seed: int, noise: int, keep: int) -> None:
    rng = random.Random(seed)
    frames = [
        VpdqFrame(i, f.quality, _flip(f.pdq, rng.randint(0, noise), rng), float(i))
        for i, f in enumerate(listed.frames)
        if rng.randint(0, 99) < keep
    ]
    frames.append(VpdqFrame(len(listed.frames) + 1, 100, "ab" * 32, 99.0))
    query = VpdqHash(tuple(frames))
    result = match_videos(query, listed)
    q_pct, t_pct = _reference_rule(query, listed, 50, 31)
    assert (result.query_percent, result.listed_percent) == pytest.approx((q_pct, t_pct))
    assert result.match == (t_pct >= 80.0)
    assert sum(r.frames for r in result.query_runs) == round(
        q_pct * len([f for f in query.frames if f.quality >= 50]) / 100
    )


def test_runs_say_which_seconds_matched() -> None:
    rng = random.Random(7)
    listed = VpdqHash(tuple(VpdqFrame(i * 30, 100, f"{rng.getrandbits(256):064x}", float(i)) for i in range(10)))
    other = f"{rng.getrandbits(256):064x}"
    query = VpdqHash(
        tuple(VpdqFrame(i, 100, listed.frames[i].pdq if 3 <= i <= 6 else other, i + 100.0) for i in range(10))
    )
    result = match_videos(query, listed)
    assert [(r.start, r.end, r.frames) for r in result.query_runs] == [(103.0, 106.0, 4)]
    assert [(r.start, r.end, r.frames) for r in result.listed_runs] == [(3.0, 6.0, 4)]
    assert result.query_percent == 40.0


def test_rule_is_configurable_and_checked() -> None:
    a = VpdqHash((VpdqFrame(0, 100, "0" * 64, 0.0), VpdqFrame(1, 100, "f" * 64, 1.0)))
    b = VpdqHash((VpdqFrame(0, 100, "0" * 64, 0.0),))
    assert match_videos(a, b).match  # every listed frame matches
    assert not match_videos(b, a).match  # half of the listed frames match
    assert match_videos(b, a, MatchRule(listed_percent=50.0)).match
    with pytest.raises(InvalidInputError):
        MatchRule(listed_percent=120.0)
    vpdq = get_hash_type("vpdq")
    assert vpdq.compare(b.serialise(), a.serialise()).distance == 50
    assert vpdq.compare(a.serialise(), b.serialise()).distance == 0

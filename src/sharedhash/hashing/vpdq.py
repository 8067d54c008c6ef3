"""vPDQ values: the PDQ hashes of a video's sampled frames, their lossless text form, and the reference match rule.

A value is a list of frames, each ``(frame_number, quality, pdq_hex, timestamp)``. The canonical text is versioned::

    vpdq1;0,100,e271...055c,0.000000;30,98,c0f1...055c,1.000000

(frames in frame order, separated by ``;``; the timestamp in seconds with exactly six decimals, so a value read
back is the same value). Readers also accept python-threatexchange's forms: a JSON list of ``"hex,quality,seconds"``
strings (frame numbers are not in it: the position in the list stands for them) and the older JSON object
``{"frame_number": {"hash", "quality", "timestamp"}}``. Their three-digit rounding of timestamps is read as given,
never produced.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sharedhash import limits
from sharedhash.errors import InvalidHashError, InvalidInputError

#: The version tag that starts every canonical value.
FORMAT_TAG = "vpdq1"
#: Decimals of a serialised timestamp (microseconds): enough for any real frame rate, and fixed so the text is stable.
TIMESTAMP_DECIMALS = 6
#: The reference's match rule (vpdq/cpp matchTwoHash, python-threatexchange): frames under this quality are ignored,
DEFAULT_MIN_QUALITY = 50
#: two frames match at this PDQ distance or less,
DEFAULT_FRAME_DISTANCE = 31
#: and a video matches a listed one when at least this share (%) of the listed video's frames match.
DEFAULT_LISTED_PERCENT = float(limits.VIDEO_LISTED_PERCENT_DEFAULT)
#: The query's share is reported; by default it does not decide a match.
DEFAULT_QUERY_PERCENT = float(limits.VIDEO_QUERY_PERCENT_DEFAULT)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_NUMBER = re.compile(r"\d+(\.\d+)?")


@dataclass(frozen=True, slots=True)
class VpdqFrame:
    """One hashed frame: its number in decoding output order (from 0), PDQ quality, PDQ hash, and time (seconds)."""

    frame_number: int
    quality: int
    pdq: str
    timestamp: float


@dataclass(frozen=True, slots=True)
class VpdqHash:
    """A video's vPDQ value: its frames in frame order."""

    frames: tuple[VpdqFrame, ...]

    def serialise(self) -> str:
        """The canonical, versioned text (see the module docstring)."""
        parts = [FORMAT_TAG]
        parts.extend(f"{f.frame_number},{f.quality},{f.pdq},{f.timestamp:.{TIMESTAMP_DECIMALS}f}" for f in self.frames)
        return ";".join(parts)

    def to_threatexchange(self) -> str:
        """python-threatexchange's JSON form (a list of ``"hex,quality,seconds"``), for tools that read it."""
        return json.dumps([f"{f.pdq},{f.quality},{f.timestamp:.{TIMESTAMP_DECIMALS}f}" for f in self.frames])

    def __len__(self) -> int:
        return len(self.frames)


def _bad(message: str) -> InvalidHashError:
    return InvalidHashError(
        f"not a vpdq value: {message}",
        hint="vpdq values are 'vpdq1;frame,quality,pdq_hex,seconds;...' or python-threatexchange's JSON forms.",
    )


def _frame(frame_number: Any, quality: Any, pdq: Any, timestamp: Any) -> VpdqFrame:
    if not isinstance(pdq, str) or not _HEX64.fullmatch(pdq.strip().lower()):
        shown = str(pdq)[:8]
        raise _bad(f"a frame hash must be 64 hex characters (got {shown!r}…)")
    try:
        number, qual = int(frame_number), int(quality)
        seconds = float(timestamp)
    except (TypeError, ValueError):
        raise _bad("frame number, quality and timestamp must be numbers") from None
    if isinstance(frame_number, bool) or isinstance(quality, bool) or number < 0:
        raise _bad("frame numbers are whole numbers from 0")
    if not 0 <= qual <= 100:
        raise _bad(f"quality {qual} is outside 0-100")
    if not (seconds >= 0 and seconds < 1e9):  # also rejects NaN and infinity
        raise _bad(f"timestamp {timestamp!r} is not a time in seconds")
    return VpdqFrame(number, qual, pdq.strip().lower(), round(seconds, TIMESTAMP_DECIMALS))


def _checked(frames: list[VpdqFrame]) -> VpdqHash:
    if not frames:
        raise _bad("no frames")
    numbers = [f.frame_number for f in frames]
    if any(b <= a for a, b in zip(numbers, numbers[1:], strict=False)):
        raise _bad("frame numbers must increase")
    return VpdqHash(tuple(frames))


def parse(value: str) -> VpdqHash:
    """A vPDQ value from its canonical text or python-threatexchange's JSON forms; :class:`InvalidHashError` else."""
    text = value.strip()
    if text.startswith(FORMAT_TAG + ";"):
        frames = []
        for part in text.split(";")[1:]:
            fields = part.split(",")
            if len(fields) != 4 or not _NUMBER.fullmatch(fields[3]) or not fields[0].isdigit():
                raise _bad(f"frame {part[:20]!r}… is not 'frame,quality,pdq_hex,seconds'")
            frames.append(_frame(*fields))
        return _checked(frames)
    if text.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except ValueError:
            raise _bad("malformed JSON") from None
        if isinstance(data, list):
            frames = []
            for i, item in enumerate(data):
                fields = item.split(",") if isinstance(item, str) else []
                if len(fields) != 3:
                    raise _bad(f"item {i} is not 'pdq_hex,quality,seconds'")
                frames.append(_frame(i, fields[1], fields[0], fields[2]))
            return _checked(frames)
        if isinstance(data, dict):
            frames = []
            try:
                ordered = sorted(data.items(), key=lambda kv: int(kv[0]))
            except ValueError:
                raise _bad("frame numbers must be whole numbers") from None
            for key, item in ordered:
                if not isinstance(item, dict):
                    raise _bad(f"frame {key} is not an object")
                frames.append(_frame(key, item.get("quality"), item.get("hash"), item.get("timestamp")))
            return _checked(frames)
    raise _bad(f"expected '{FORMAT_TAG};...' or JSON")


def canonical(value: str) -> str:
    """The canonical text of any accepted form."""
    return parse(value).serialise()


# ---------------------------------------------------------------------------------------------------------------
# Matching (the reference rule)


@dataclass(frozen=True, slots=True)
class MatchRule:
    """The reference's rule; ``listed_percent`` and ``query_percent`` are thresholds in percent (configurable per
    list). ``frame_distance`` matches at or under it (python-threatexchange's ``<=``)."""

    min_quality: int = DEFAULT_MIN_QUALITY
    frame_distance: int = DEFAULT_FRAME_DISTANCE
    listed_percent: float = DEFAULT_LISTED_PERCENT
    query_percent: float = DEFAULT_QUERY_PERCENT

    def __post_init__(self) -> None:
        if not 0 <= self.min_quality <= 100 or not 0 <= self.frame_distance <= 256:
            raise InvalidInputError("min_quality must be 0-100 and frame_distance 0-256")
        if not (0 <= self.listed_percent <= 100 and 0 <= self.query_percent <= 100):
            raise InvalidInputError("match percentages must be 0-100")


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive matching frames of one side: first and last timestamps (seconds) and how many frames."""

    start: float
    end: float
    frames: int

    def to_dict(self) -> dict[str, Any]:
        return {"start": round(self.start, 3), "end": round(self.end, 3), "frames": self.frames}


@dataclass(frozen=True, slots=True)
class VideoMatch:
    """The outcome of comparing a query video with one listed video.

    ``query_percent``: share of the query's frames (quality-filtered) within the distance of some listed frame;
    ``listed_percent``: share of the listed video's frames within the distance of some query frame. ``query_runs``
    and ``listed_runs`` say which seconds of each side matched.
    """

    match: bool
    query_percent: float
    listed_percent: float
    query_runs: tuple[Run, ...] = ()
    listed_runs: tuple[Run, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "match": self.match,
            "query_percent": round(self.query_percent, 3),
            "listed_percent": round(self.listed_percent, 3),
            "query_seconds": [r.to_dict() for r in self.query_runs],
            "listed_seconds": [r.to_dict() for r in self.listed_runs],
        }


def usable(frames: Sequence[VpdqFrame], min_quality: int) -> list[VpdqFrame]:
    """The frames the rule counts: quality at least ``min_quality``."""
    return [f for f in frames if f.quality >= min_quality]


def hash_matrix(hexes: Iterable[str]) -> NDArray[np.uint8]:
    """PDQ hex values as an (n, 32) uint8 array."""
    joined = "".join(hexes)
    return np.frombuffer(bytes.fromhex(joined), dtype=np.uint8).reshape(-1, 32)


_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)


def distances(a: NDArray[np.uint8], b: NDArray[np.uint8]) -> NDArray[np.int32]:
    """All pairwise Hamming distances between two (n, 32) arrays (brute force: the oracle and small videos)."""
    if not len(a) or not len(b):
        return np.zeros((len(a), len(b)), dtype=np.int32)
    out = np.zeros((len(a), len(b)), dtype=np.int32)
    for k in range(32):
        out += _POPCOUNT[np.bitwise_xor.outer(a[:, k], b[:, k])]
    return out


def runs(frames: Sequence[VpdqFrame], matched: Sequence[bool]) -> tuple[Run, ...]:
    """Runs of consecutive matched frames (consecutive among ``frames``) as (start, end, count)."""
    return runs_at([f.timestamp for f in frames], matched)


def runs_at(timestamps: Sequence[float], matched: Sequence[bool]) -> tuple[Run, ...]:
    """:func:`runs` from the frames' timestamps."""
    out: list[Run] = []
    start = -1
    for i, hit in enumerate([*matched, False]):
        if hit and start < 0:
            start = i
        elif not hit and start >= 0:
            out.append(Run(float(timestamps[start]), float(timestamps[i - 1]), i - start))
            start = -1
    return tuple(out)


def decide(rule: MatchRule, query_percent: float, listed_percent: float) -> bool:
    """Whether the percentages make a match under ``rule`` (any frame must match)."""
    return listed_percent > 0 and listed_percent >= rule.listed_percent and query_percent >= rule.query_percent


def match_videos(query: VpdqHash, listed: VpdqHash, rule: MatchRule = MatchRule()) -> VideoMatch:
    """Compare a query video with a listed video by the reference rule (brute force over all frame pairs)."""
    q = usable(query.frames, rule.min_quality)
    t = usable(listed.frames, rule.min_quality)
    if not q or not t:
        return VideoMatch(False, 0.0, 0.0)
    close = distances(hash_matrix(f.pdq for f in q), hash_matrix(f.pdq for f in t)) <= rule.frame_distance
    q_hit = [bool(x) for x in np.any(close, axis=1)]
    t_hit = [bool(x) for x in np.any(close, axis=0)]
    q_pct, t_pct = 100.0 * sum(q_hit) / len(q), 100.0 * sum(t_hit) / len(t)
    return VideoMatch(decide(rule, q_pct, t_pct), q_pct, t_pct, runs(q, q_hit), runs(t, t_hit))


__all__ = [
    "FORMAT_TAG",
    "MatchRule",
    "Run",
    "VideoMatch",
    "VpdqFrame",
    "VpdqHash",
    "canonical",
    "decide",
    "match_videos",
    "parse",
    "runs",
    "runs_at",
]

"""The video index: listed videos' frame hashes in one PDQ index, with a frame -> video map.

A query video's frames (quality-filtered) are range-searched in the PDQ index at the rule's frame distance; each
hit names a listed frame, hence its video and its position. Per candidate video, the matched query frames and
matched listed frames give the two percentages of the reference rule, and their runs the matching seconds. This
equals comparing the query with every listed video by brute force (the hypothesis test checks it), because a
listed video with no frame within the distance has 0% on both sides.

The same frame index answers an image against video lists (:meth:`VideoIndex.query_image`), and
:func:`frames_against_images` answers a video against image lists (a PDQ index of images).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from sharedhash.errors import CorruptDataError, InvalidInputError
from sharedhash.hashing.vpdq import (
    MatchRule,
    Run,
    VideoMatch,
    VpdqHash,
    decide,
    hash_matrix,
    parse,
    runs,
    runs_at,
    usable,
)
from sharedhash.index.base import HashIndex, IndexMatch
from sharedhash.index.pdq import PdqIndex

FORMAT = "sharedhash-vpdq-index"
VERSION = 1


@dataclass(frozen=True, slots=True)
class VideoHit:
    """A listed video matched by a query video: its id and the rule's outcome (percentages, runs)."""

    id: int
    result: VideoMatch

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **self.result.to_dict()}


@dataclass(frozen=True, slots=True)
class FrameHit:
    """An image matched against a video list (or a listed image matched by video frames): the other side's id,
    the best distance, and the seconds where it matched."""

    id: int
    distance: int
    seconds: tuple[Run, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "distance": self.distance, "seconds": [r.to_dict() for r in self.seconds]}


@dataclass(slots=True)
class _Listed:
    value: str | None  # the canonical value (None when added as arrays without it)
    first: int  # frame ids first .. first + count - 1 (its usable frames, in order)
    count: int


class VideoIndex(HashIndex):
    """Listed videos (vpdq values) under integer ids, matched by the reference rule.

    As a :class:`HashIndex`, a query's distance to a listed video is ``100 - floor(listed %)`` (the vpdq type's
    distance), so ``query(value, 20)`` returns the listed videos at least 80% of whose frames match.
    Memory per listed frame: the PDQ index's ~110 bytes plus 16 (video id, timestamp); per video a small record.
    """

    hash_type: ClassVar[str] = "vpdq"

    def __init__(self, rule: MatchRule | None = None, **pdq_options: Any) -> None:
        self.rule = rule or MatchRule()
        self._pdq_options = pdq_options
        self._frames = PdqIndex(**pdq_options)
        self._videos: dict[int, _Listed] = {}
        self._frame_video = np.zeros(0, dtype=np.int64)
        self._frame_ts = np.zeros(0, dtype=np.float64)
        self._lock = threading.Lock()

    # -- writing -------------------------------------------------------------------------------------------------

    def add(self, values: Sequence[str], ids: Sequence[int]) -> None:
        if len(values) != len(ids):
            raise InvalidInputError(f"{len(values)} values but {len(ids)} ids")
        self.add_parsed([parse(v) for v in values], ids)

    def add_parsed(self, videos: Sequence[VpdqHash], ids: Sequence[int]) -> None:
        """Add parsed values (one PDQ index append for all their frames)."""
        hexes: list[str] = []
        counts: list[int] = []
        stamps: list[float] = []
        for video in videos:
            frames = usable(video.frames, self.rule.min_quality)
            hexes.extend(f.pdq for f in frames)
            stamps.extend(f.timestamp for f in frames)
            counts.append(len(frames))
        self.add_arrays(
            np.asarray(ids, dtype=np.int64),
            np.asarray(counts, dtype=np.int64),
            hash_matrix(hexes) if hexes else np.zeros((0, 32), dtype=np.uint8),
            np.asarray(stamps, dtype=np.float64),
            [v.serialise() for v in videos],
        )

    def add_arrays(
        self,
        ids: np.ndarray,
        counts: np.ndarray,
        rows: np.ndarray,
        timestamps: np.ndarray,
        values: Sequence[str] | None = None,
    ) -> None:
        """The bulk path: video ``ids[i]`` has the next ``counts[i]`` frames of ``rows`` ((n, 32) uint8 PDQ hashes,
        already quality-filtered) at ``timestamps``. Without ``values``, :meth:`values_of` answers None for them
        (a hub keeps the values in its database)."""
        if len(ids) != len(counts) or int(counts.sum()) != len(rows) or len(rows) != len(timestamps):
            raise InvalidInputError("ids, counts, rows and timestamps do not fit together")
        if values is not None and len(values) != len(ids):
            raise InvalidInputError(f"{len(values)} values but {len(ids)} ids")
        with self._lock:
            self._remove_locked([int(i) for i in ids if int(i) in self._videos])
            base = len(self._frame_video)
            starts = base + np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
            for i, (id_, first, count) in enumerate(zip(ids.tolist(), starts.tolist(), counts.tolist(), strict=True)):
                self._videos[id_] = _Listed(values[i] if values is not None else None, first, count)
            if not len(rows):
                return
            self._frame_video = np.concatenate([self._frame_video, np.repeat(ids.astype(np.int64), counts)])
            self._frame_ts = np.concatenate([self._frame_ts, timestamps.astype(np.float64)])
            frame_ids = np.arange(base, base + len(rows), dtype=np.int64)
            if len(self._frames) == 0 and len(rows) >= 100_000:  # one build instead of appends and compactions
                self._frames = PdqIndex.from_arrays(rows, frame_ids, **self._pdq_options)
            else:
                self._frames.add_array(rows, frame_ids)

    def remove(self, ids: Sequence[int]) -> int:
        with self._lock:
            return self._remove_locked([int(i) for i in ids])

    def _remove_locked(self, ids: list[int]) -> int:
        gone = [self._videos.pop(i) for i in ids if i in self._videos]
        frame_ids = [np.arange(v.first, v.first + v.count, dtype=np.int64) for v in gone if v.count]
        if frame_ids:
            self._frames.remove(np.concatenate(frame_ids))
        return len(gone)

    def compact(self) -> None:
        """Fold appended frames into the PDQ index's main segment (done by itself as frames accumulate)."""
        self._frames.compact()

    # -- queries -------------------------------------------------------------------------------------------------

    def query_video(self, query: VpdqHash, rule: MatchRule | None = None, *, all_hits: bool = False) -> list[VideoHit]:
        """Listed videos compared with ``query`` by ``rule`` (default: the index's): those that match, best first,
        or with ``all_hits`` every listed video sharing at least one matching frame."""
        rule = rule or self.rule
        frames = usable(query.frames, rule.min_quality)
        if not frames:
            return []
        found = self._frames.query_batch_array(hash_matrix(f.pdq for f in frames), rule.frame_distance)
        if not len(found.ids):
            return []
        q_of = np.repeat(np.arange(len(frames)), found.counts)
        videos = self._frame_video[found.ids]
        positions = found.ids
        order = np.argsort(videos, kind="stable")
        videos, q_of, positions = videos[order], q_of[order], positions[order]
        bounds = np.flatnonzero(np.diff(videos)) + 1
        hits: list[VideoHit] = []
        for start, end in zip(np.r_[0, bounds], np.r_[bounds, len(videos)], strict=True):
            vid = int(videos[start])
            listed = self._videos.get(vid)
            if listed is None or not listed.count:
                continue
            q_hit = np.zeros(len(frames), dtype=bool)
            q_hit[q_of[start:end]] = True
            t_hit = np.zeros(listed.count, dtype=bool)
            t_hit[positions[start:end] - listed.first] = True
            q_pct = 100.0 * int(q_hit.sum()) / len(frames)
            t_pct = 100.0 * int(t_hit.sum()) / listed.count
            result = VideoMatch(
                decide(rule, q_pct, t_pct),
                q_pct,
                t_pct,
                runs(frames, q_hit.tolist()),
                runs_at(self._frame_ts[listed.first : listed.first + listed.count].tolist(), t_hit.tolist()),
            )
            if result.match or all_hits:
                hits.append(VideoHit(vid, result))
        hits.sort(key=lambda h: (-h.result.listed_percent, -h.result.query_percent, h.id))
        return hits

    def query_image(self, pdq: str, max_distance: int | None = None) -> list[FrameHit]:
        """Listed videos one of whose frames is within ``max_distance`` (default: the rule's) of an image's PDQ
        hash, nearest first, with the seconds of the matching frames."""
        limit = self.rule.frame_distance if max_distance is None else max_distance
        found = self._frames.query_batch_array(hash_matrix([pdq.lower()]), limit)
        best: dict[int, int] = {}
        where: dict[int, list[int]] = {}
        for fid, dist in zip(found.ids.tolist(), found.distances.tolist(), strict=True):
            vid = int(self._frame_video[fid])
            if vid not in self._videos:
                continue
            best[vid] = min(best.get(vid, dist), dist)
            where.setdefault(vid, []).append(fid - self._videos[vid].first)
        out = []
        for vid, dist in best.items():
            listed = self._videos[vid]
            hit = np.zeros(listed.count, dtype=bool)
            hit[where[vid]] = True
            stamps = self._frame_ts[listed.first : listed.first + listed.count].tolist()
            out.append(FrameHit(vid, dist, runs_at(stamps, hit.tolist())))
        return sorted(out, key=lambda h: (h.distance, h.id))

    def query(self, value: str, max_distance: int = 0) -> list[IndexMatch]:
        if not 0 <= max_distance:
            raise InvalidInputError("max_distance must be >= 0")
        rule = MatchRule(self.rule.min_quality, self.rule.frame_distance, listed_percent=0.0, query_percent=0.0)
        out = []
        for hit in self.query_video(parse(value), rule, all_hits=True):
            distance = 100 - int(np.floor(hit.result.listed_percent + 1e-9))
            if distance <= max_distance:
                out.append(IndexMatch(distance=distance, id=hit.id))
        return sorted(out)

    def values_of(self, ids: Sequence[int]) -> list[str | None]:
        return [v.value if (v := self._videos.get(int(i))) is not None else None for i in ids]

    def frame_hits(self, frame_id: int) -> tuple[int, float]:
        """The listed video and timestamp of a frame id (for callers reading the frame index directly)."""
        return int(self._frame_video[frame_id]), float(self._frame_ts[frame_id])

    def __len__(self) -> int:
        return len(self._videos)

    def ids(self) -> list[int]:
        """The listed videos' ids."""
        return sorted(self._videos)

    @property
    def frame_count(self) -> int:
        """Frames in the PDQ index (usable frames of every listed video)."""
        return len(self._frames)

    # -- persistence ---------------------------------------------------------------------------------------------

    def save(self, path: Path) -> None:
        """A versioned, checksummed JSON-lines file of (id, value); the frame index is rebuilt on load."""
        if any(v.value is None for v in self._videos.values()):
            raise InvalidInputError("videos added as arrays without values cannot be saved")
        body = "\n".join(json.dumps([i, v.value]) for i, v in sorted(self._videos.items()))
        header = {
            "format": FORMAT,
            "version": VERSION,
            "hash_type": "vpdq",
            "rule": [
                self.rule.min_quality,
                self.rule.frame_distance,
                self.rule.listed_percent,
                self.rule.query_percent,
            ],
            "sha256": hashlib.sha256(body.encode()).hexdigest(),
        }
        Path(path).write_text(json.dumps(header) + "\n" + body)

    @classmethod
    def load(cls, path: Path) -> Self:
        try:
            header_line, body = Path(path).read_text().split("\n", 1)
            header = json.loads(header_line)
        except (OSError, ValueError) as exc:
            raise CorruptDataError(f"{path} is not a sharedhash vpdq index") from exc
        if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") != VERSION:
            raise CorruptDataError(f"{path} is not a version {VERSION} sharedhash vpdq index")
        if hashlib.sha256(body.encode()).hexdigest() != header.get("sha256"):
            raise CorruptDataError(f"{path} fails its checksum: the file is damaged or truncated")
        index = cls(MatchRule(*header["rule"]))
        pairs = [json.loads(line) for line in body.splitlines() if line]
        index.add([v for _, v in pairs], [i for i, _ in pairs])
        return index


def frames_against_images(video: VpdqHash, images: HashIndex, rule: MatchRule | None = None) -> list[FrameHit]:
    """Listed images (a PDQ index) that some frame of ``video`` matches, nearest first, with the video's seconds
    where each matched (frames of quality >= the rule's minimum, at the rule's frame distance)."""
    rule = rule or MatchRule()
    frames = usable(video.frames, rule.min_quality)
    if not frames:
        return []
    per_frame = images.query_batch([f.pdq for f in frames], rule.frame_distance)
    best: dict[int, int] = {}
    where: dict[int, list[int]] = {}
    for pos, matches in enumerate(per_frame):
        for m in matches:
            best[m.id] = min(best.get(m.id, m.distance), m.distance)
            where.setdefault(m.id, []).append(pos)
    out = []
    for image_id, dist in best.items():
        hit = np.zeros(len(frames), dtype=bool)
        hit[where[image_id]] = True
        out.append(FrameHit(image_id, dist, runs(frames, hit.tolist())))
    return sorted(out, key=lambda h: (h.distance, h.id))


__all__ = ["FrameHit", "VideoHit", "VideoIndex", "frames_against_images"]

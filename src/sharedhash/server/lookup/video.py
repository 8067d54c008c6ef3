"""Lookup of videos: the matches the flat index search cannot give, answered for :mod:`.service`.

Three kinds, each decided by hash-type traits (no type names here):

- a video value (a type with ``index_kind`` ``VPDQ``) against listed videos of its type, by the reference rule
  (frames of quality >= 50 match at PDQ distance <= 31; a match when the listed video's percentage >= 80): the
  answer carries ``query_percent``, ``listed_percent``, ``query_seconds`` and ``listed_seconds``, and its distance
  is ``100 - floor(listed_percent)`` (the type's own distance);
- the video's frames against listed images of its ``frame_type`` (a video one of whose frames is a listed image),
  with the query's seconds that matched;
- an image value of some video type's ``frame_type`` against that type's listed videos (an image that is a frame
  of a listed video), with the listed video's seconds.

Frame distances are PDQ bits: they count within each list's threshold, capped by the request's ``max_distance``
and by the rule's frame distance.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import NamedTuple

import numpy as np

from sharedhash.hashing import get_hash_type, hash_type_names
from sharedhash.hashing.types.base import IndexKind
from sharedhash.hashing.vpdq import MatchRule, Run, parse, runs, usable
from sharedhash.server.memory.caches import VisibleLists
from sharedhash.server.memory.indexes import IndexSet


class VideoHit(NamedTuple):
    """One video match before it is shaped as an answer: which query, which entry in which list, how far, and the
    video fields (None where they do not apply)."""

    query: int
    entry_id: int
    list_id: int
    distance: int
    matched_hash_type: str | None = None
    query_percent: float | None = None
    listed_percent: float | None = None
    query_seconds: tuple[Run, ...] | None = None
    listed_seconds: tuple[Run, ...] | None = None

    def fields(self) -> dict[str, object]:
        """The answer's video fields that apply to this hit."""
        out: dict[str, object] = {}
        if self.matched_hash_type is not None:
            out["matched_hash_type"] = self.matched_hash_type
        if self.query_percent is not None:
            out["query_percent"] = round(self.query_percent, 3)
        if self.listed_percent is not None:
            out["listed_percent"] = round(self.listed_percent, 3)
        if self.query_seconds is not None:
            out["query_seconds"] = [r.to_dict() for r in self.query_seconds]
        if self.listed_seconds is not None:
            out["listed_seconds"] = [r.to_dict() for r in self.listed_seconds]
        return out


def is_video_type(hash_type: str) -> bool:
    """Whether a hash type's values are videos matched by the video index."""
    return get_hash_type(hash_type).index_kind is IndexKind.VPDQ


def video_types_of_frames(frame_type: str) -> list[str]:
    """The video hash types whose frames are values of ``frame_type``."""
    return list(_video_types_of_frames(frame_type, tuple(hash_type_names())))


@functools.lru_cache(maxsize=64)
def _video_types_of_frames(frame_type: str, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t for t in names if is_video_type(t) and get_hash_type(t).frame_type == frame_type)


def _frame_limits(lists: VisibleLists, max_distance: int | None, rule: MatchRule) -> dict[int, int]:
    cap = rule.frame_distance if max_distance is None else min(max_distance, rule.frame_distance)
    return {list_id: min(threshold, cap) for list_id, (_, threshold) in lists.items()}


def video_hits(
    indexes: IndexSet,
    lists: VisibleLists,
    queries: Sequence[tuple[int, str, str]],
    *,
    max_distance: int | None,
    rule: MatchRule | None = None,
    list_rules: Mapping[int, tuple[int, int]] | None = None,
) -> list[VideoHit]:
    """Video matches of ``(position, hash type, canonical value)`` queries in the readable ``lists``.

    ``list_rules`` gives each list's own video rule, ``(listed %, query %)`` (lists not in it: ``rule``'s): the
    index is asked with the loosest of the readable lists' percentages, and each hit is then held to its list's."""
    rule = rule or MatchRule()
    if max_distance is not None:
        rule = MatchRule(
            rule.min_quality, min(rule.frame_distance, max_distance), rule.listed_percent, rule.query_percent
        )
    default = (rule.listed_percent, rule.query_percent)
    percents = {list_id: (list_rules or {}).get(list_id, default) for list_id in lists}
    allowed = _frame_limits(lists, max_distance, rule)
    out: list[VideoHit] = []
    for position, hash_type, value in queries:
        if is_video_type(hash_type):
            out.extend(_video_query(indexes, lists, allowed, percents, rule, position, hash_type, value))
        else:
            for video_type in video_types_of_frames(hash_type):
                for hit, list_id, entry_id in indexes.query_video_frames(video_type, value, max(allowed.values())):
                    if hit.distance <= allowed.get(list_id, -1):
                        out.append(
                            VideoHit(position, entry_id, list_id, hit.distance, video_type, listed_seconds=hit.seconds)
                        )
    return out


def _video_query(
    indexes: IndexSet,
    lists: VisibleLists,
    allowed: dict[int, int],
    percents: dict[int, tuple[float, float]],
    rule: MatchRule,
    position: int,
    hash_type: str,
    value: str,
) -> list[VideoHit]:
    video = parse(value)
    loosest = MatchRule(
        rule.min_quality,
        rule.frame_distance,
        min(p[0] for p in percents.values()),
        min(p[1] for p in percents.values()),
    )
    out = [
        VideoHit(
            position,
            entry_id,
            list_id,
            100 - int(np.floor(hit.result.listed_percent + 1e-9)),
            None,
            hit.result.query_percent,
            hit.result.listed_percent,
            hit.result.query_runs,
            hit.result.listed_runs,
        )
        for hit, list_id, entry_id in indexes.query_videos(hash_type, video, loosest)
        if list_id in percents
        and hit.result.listed_percent + 1e-9 >= percents[list_id][0]
        and hit.result.query_percent + 1e-9 >= percents[list_id][1]
    ]
    frame_type = get_hash_type(hash_type).frame_type
    frames = usable(video.frames, rule.min_quality)
    if frame_type is None or not frames:
        return out
    found = indexes.query(frame_type, [f.pdq for f in frames], max(allowed.values()))
    keep = np.fromiter(
        (d <= allowed.get(lst, -1) for d, lst in zip(found.distances.tolist(), found.list_ids.tolist(), strict=True)),
        dtype=bool,
        count=len(found.distances),
    )
    best: dict[tuple[int, int], int] = {}
    where: dict[tuple[int, int], list[int]] = {}
    for frame, entry_id, list_id, distance in zip(
        found.query[keep].tolist(),
        found.entry_ids[keep].tolist(),
        found.list_ids[keep].tolist(),
        found.distances[keep].tolist(),
        strict=True,
    ):
        key = (entry_id, list_id)
        best[key] = min(best.get(key, distance), distance)
        where.setdefault(key, []).append(frame)
    for (entry_id, list_id), distance in best.items():
        matched = np.zeros(len(frames), dtype=bool)
        matched[where[(entry_id, list_id)]] = True
        out.append(
            VideoHit(position, entry_id, list_id, distance, frame_type, query_seconds=runs(frames, matched.tolist()))
        )
    return out


__all__ = ["VideoHit", "is_video_type", "video_hits", "video_types_of_frames"]

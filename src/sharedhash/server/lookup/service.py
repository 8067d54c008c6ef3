"""Lookup: query the in-memory indexes and keep only hits in lists the caller may read, answered from memory.

Near-match hits (hash types served by the 256-bit Hamming index, such as PDQ: the list's threshold counts those
bits) count only within the list's threshold, and never beyond the request's ``max_distance``; other types match
at distance 0. Entries the caller's own org disputes are left out
of its answers. Lookups are audited through the hub's :class:`~sharedhash.server.memory.tallies.AuditBuffer`.
"""

from __future__ import annotations

import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import orjson

from sharedhash.errors import InvalidInputError, LimitExceededError
from sharedhash.hashing import get_hash_type, hash_type_names
from sharedhash.hashing.regions import Hit, Probe, decide
from sharedhash.hashing.types.base import ContentKind, IndexKind
from sharedhash.hub_errors import HashValueTooLongError
from sharedhash.limits import PDQ_THRESHOLD_MAX
from sharedhash.server.lookup import video
from sharedhash.server.memory.caches import LookupCaches, VisibleLists
from sharedhash.server.memory.indexes import IndexSet
from sharedhash.server.memory.tallies import AuditBuffer
from sharedhash.server.state import HubState
from sharedhash.store import audit
from sharedhash.store.db import Database
from sharedhash.store.lookup import EntryFacts
from sharedhash.store.models import Verdict
from sharedhash.store.visibility import Caller

#: Lookups this small are answered on the event loop (from memory, in well under a millisecond); larger ones go to
#: the thread pool, where the index search runs without holding up other requests.
INLINE_HASHES = 8


@dataclass(frozen=True, slots=True)
class Query:
    """One hash to look up, with its position in the request."""

    position: int
    hash_type: str
    value: str


def too_many_hashes(count: int, limit: int) -> LimitExceededError:
    """The error of a lookup of ``count`` hashes, over ``limit``."""
    return LimitExceededError(f"{count} hashes in one lookup; the limit is {limit}")


def _one_fixed_width_type(items: list[tuple[str, str]]) -> tuple[str, list[str]] | None:
    """The usual batch, hashes of one fixed-width type: ``(type, canonical values)``, validated in one call, which is
    much faster for hex types. ``None`` for several types, a long-valued type (checked one by one, its length
    first) or a bad value (:func:`_canonical` then names its position)."""
    types = {hash_type for hash_type, _ in items}
    if len(types) != 1:
        return None
    (name,) = types
    try:
        found = get_hash_type(name)
        if found.hex_chars is None:
            return None
        if len(items) == 1:  # a single hash: the batch form's arrays cost more than the one value
            return name, [found.validate(items[0][1])]
        return name, found.validate_many([value for _, value in items])
    except InvalidInputError:
        return None


def _canonical(position: int, hash_type: str, value: str) -> str:
    """One hash's canonical value; its error names its position in the request."""
    try:
        found = get_hash_type(hash_type)
        if len(value) > found.max_value_chars:
            raise HashValueTooLongError(f"a {hash_type} value is at most {found.max_value_chars:,} characters")
        return found.validate(value)
    except InvalidInputError as exc:
        raise type(exc)(f"hash {position}: {exc.message}", hint=exc.hint, position=position) from None


def canonical_pairs(items: list[tuple[str, str]], limit: int) -> list[tuple[str, str]]:
    """Every ``(hash type, value)`` of a request canonical; any bad one fails the whole request, naming its
    position. The content check takes these pairs as they are, without a query object per hash."""
    if len(items) > limit:
        raise too_many_hashes(len(items), limit)
    fast = _one_fixed_width_type(items)
    if fast is not None:
        name, values = fast
        return [(name, value) for value in values]
    return [(hash_type, _canonical(position, hash_type, value)) for position, (hash_type, value) in enumerate(items)]


def validate_queries(items: list[tuple[str, str]], limit: int) -> list[Query]:
    """Canonicalise every hash of a request, as :func:`canonical_pairs` does, each a query with its position.
    (Not made from the pairs: a list of 10,000 pairs more cost 6 ms per 10,000 hashes, measured.)"""
    if len(items) > limit:
        raise too_many_hashes(len(items), limit)
    fast = _one_fixed_width_type(items)
    if fast is not None:
        name, values = fast
        return [Query(position, name, value) for position, value in enumerate(values)]
    return [
        Query(position, hash_type, _canonical(position, hash_type, value))
        for position, (hash_type, value) in enumerate(items)
    ]


def lookup(
    db: Database,
    indexes: IndexSet,
    caches: LookupCaches,
    caller: Caller,
    queries: list[Query],
    *,
    max_distance: int | None = None,
    audit_log: AuditBuffer | None = None,
    evidence: bool = False,
) -> list[dict[str, Any]]:
    """Every match of ``queries`` among the caller's readable lists, as API dicts, nearest first per query.

    Types with a ``single_value_distance`` match within it only, unless ``evidence``: the caller then weighs the
    hits of many values together (a file lookup's region probes).

    Answered from memory: the indexes, the caller's readable lists and the matched entries' facts (see
    :mod:`sharedhash.server.memory.caches`); the database is read only for what the caches miss.
    """
    if max_distance is not None and not 0 <= max_distance <= PDQ_THRESHOLD_MAX:
        raise InvalidInputError(f"max_distance must be 0 to {PDQ_THRESHOLD_MAX}")
    lists = caches.policy.visible(db, caller.org_id)
    if not lists or not queries:
        _audit(db, audit_log, caller, queries, 0)
        return []

    by_type: dict[str, list[Query]] = defaultdict(list)
    for q in queries:
        by_type[q.hash_type].append(q)
    for hash_type in [t for t in by_type if video.is_video_type(t)]:
        del by_type[hash_type]  # videos: only through video.video_hits below
    # Every hit as arrays (position in the request, entry, list, distance); only survivors become Python objects.
    parts: list[tuple[np.ndarray, ...]] = []
    for hash_type, group in by_type.items():
        # How far a hit may be in each readable list: its threshold capped by the request; exact types 0.
        kind = get_hash_type(hash_type)
        if kind.index_kind is IndexKind.HAMMING256:  # the list's threshold is in these bits
            cap = PDQ_THRESHOLD_MAX if max_distance is None else max_distance
            if kind.single_value_distance is not None and not evidence:
                cap = min(cap, kind.single_value_distance)
            allowed = {list_id: min(threshold, cap) for list_id, (_, threshold) in lists.items()}
        else:
            allowed = dict.fromkeys(lists, 0)
        found = indexes.query(hash_type, [q.value for q in group], max(allowed.values()))
        if not len(found.hash_ids):
            continue
        # Per list id, the largest distance allowed (-1: not readable); ids past the table are not readable.
        limits = np.full(max(allowed) + 2, -1, dtype=np.int64)
        limits[list(allowed)] = list(allowed.values())
        keep = found.distances <= limits[np.minimum(found.list_ids, len(limits) - 1)]
        positions = np.fromiter((q.position for q in group), dtype=np.int64, count=len(group))
        parts.append((positions[found.query[keep]], found.entry_ids[keep], found.list_ids[keep], found.distances[keep]))
    extra = _video_hits(indexes, lists, queries, max_distance, lambda: caches.policy.video_rules(db))
    if not parts and not extra:
        _audit(db, audit_log, caller, queries, 0)
        return []
    if not parts:
        parts.append(tuple(np.zeros(0, dtype=np.int64) for _ in range(4)))
    position, entry_id, list_id, distance = (np.concatenate(column) for column in zip(*parts, strict=True))
    # One hit per (query, entry): its nearest; then by query, distance, entry.
    order = np.lexsort((distance, entry_id, position))
    position, entry_id, list_id, distance = position[order], entry_id[order], list_id[order], distance[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (position[1:] != position[:-1]) | (entry_id[1:] != entry_id[:-1])
    position, entry_id, list_id, distance = position[first], entry_id[first], list_id[first], distance[first]
    order = np.lexsort((entry_id, distance, position))

    facts = caches.entries.get_many(db, set(entry_id.tolist()) | {h.entry_id for h in extra})
    types = [q.hash_type for q in queries]
    matches = []
    mine = (caller.org_id, Verdict.DISPUTE.value)
    for p, e, lst, d in zip(
        position[order].tolist(),
        entry_id[order].tolist(),
        list_id[order].tolist(),
        distance[order].tolist(),
        strict=True,
    ):
        entry = facts.get(e)
        if entry is None or mine in entry.feedback:  # removed, or disputed by the caller's own org
            continue
        matches.append(
            {
                "query": p,
                "hash_type": types[p],
                "distance": d,
                "entry_id": e,
                "list_id": lst,
                "list_name": lists[lst][0],
                "classification": entry.classification,
                "labels": list(entry.labels),
                "external_id": entry.external_id,
                "contributor": entry.contributor,
                "feedback": _counts(entry),
                "source_entry_id": entry.source_entry_id,
            }
        )
    if extra:
        matches = _with_video_hits(matches, extra, facts, lists, types, mine)
    _audit(db, audit_log, caller, queries, len(matches))
    return matches


def _video_hits(
    indexes: IndexSet,
    lists: VisibleLists,
    queries: list[Query],
    max_distance: int | None,
    rules: Callable[[], dict[int, tuple[int, int]]],
) -> list[video.VideoHit]:
    """Matches of video queries, and of image queries against listed videos (see :mod:`.video`)."""
    types = {q.hash_type for q in queries}
    # Only types that are videos, or frames of a video type some listed video is indexed under (the common
    # lookup, of images while no video is listed, costs one set and a dict look-up per type).
    relevant = {
        t
        for t in types
        if video.is_video_type(t) or any(indexes.has_entries(v) for v in video.video_types_of_frames(t))
    }
    if not relevant:
        return []
    wanted = [(q.position, q.hash_type, q.value) for q in queries if q.hash_type in relevant]
    return video.video_hits(indexes, lists, wanted, max_distance=max_distance, list_rules=rules())


def _with_video_hits(
    matches: list[dict[str, Any]],
    extra: list[video.VideoHit],
    facts: dict[int, EntryFacts | None],
    lists: VisibleLists,
    types: list[str],
    mine: tuple[int, str],
) -> list[dict[str, Any]]:
    """``matches`` and the video hits (one per query and entry: the nearest), by query, distance and entry."""
    seen = {(m["query"], m["entry_id"]) for m in matches}
    for hit in sorted(extra, key=lambda h: (h.query, h.distance, h.entry_id)):
        entry = facts.get(hit.entry_id)
        if (hit.query, hit.entry_id) in seen or entry is None or mine in entry.feedback:
            continue
        seen.add((hit.query, hit.entry_id))
        matches.append(
            {
                "query": hit.query,
                "hash_type": types[hit.query],
                "distance": hit.distance,
                "entry_id": hit.entry_id,
                "list_id": hit.list_id,
                "list_name": lists[hit.list_id][0],
                "classification": entry.classification,
                "labels": list(entry.labels),
                "external_id": entry.external_id,
                "contributor": entry.contributor,
                "feedback": _counts(entry),
                "source_entry_id": entry.source_entry_id,
                **hit.fields(),
            }
        )
    return sorted(matches, key=lambda m: (m["query"], m["distance"], m["entry_id"]))


def _counts(entry: EntryFacts) -> dict[str, int]:
    if not entry.feedback:
        return {"confirm": 0, "dispute": 0}
    confirm = sum(1 for _, verdict in entry.feedback if verdict == Verdict.CONFIRM.value)
    return {"confirm": confirm, "dispute": len(entry.feedback) - confirm}


def _audit(db: Database, buffer: AuditBuffer | None, caller: Caller, queries: list[Query], matches: int) -> None:
    types = tuple(sorted({q.hash_type for q in queries}))
    if buffer is not None:
        buffer.add_lookup(caller, types, len(queries), matches)
        return
    detail = {"types": list(types), "requests": 1, "matches": matches}
    with db.writing() as session:
        audit.record(session, caller, "lookup", count=len(queries), detail=detail)


def lookup_json_of(state: HubState, caller: Caller, queries: list[Query], max_distance: int | None) -> bytes:
    """The JSON answer (``LookupOut``'s shape) to validated ``queries``."""
    started = time.perf_counter()
    matches = lookup(
        state.db, state.indexes, state.caches, caller, queries, max_distance=max_distance, audit_log=state.audit
    )
    state.metrics.lookup_seconds.labels("hashes").observe(time.perf_counter() - started)
    # The dicts already have MatchOut's shape (tests compare them with the schema); pydantic would only copy them.
    return orjson.dumps({"queried": len(queries), "matches": matches})


def lookup_json(state: HubState, caller: Caller, items: list[tuple[str, str]], max_distance: int | None) -> bytes:
    """Validate ``(hash type, value)`` pairs and answer them as :func:`lookup_json_of` does."""
    return lookup_json_of(state, caller, validate_queries(items, state.settings.max_lookup_hashes), max_distance)


@dataclass(frozen=True, slots=True)
class FileLookup:
    """What a file lookup found: the file's hash types, the quality of its quality-scored hash, the matches (API
    dicts) by query and distance, and the file's own hashes (``hashes``: type, value, quality; answered to the
    uploader, never logged or kept)."""

    queried: int
    matches: list[dict[str, Any]]
    hash_types: list[str]
    quality: int | None
    hashes: list[dict[str, Any]] = field(default_factory=list)


#: The names of the 8 dihedral variants, in the order ``hash_media`` computes them.
DIHEDRAL_VARIANTS = ("original", "rot90", "rot180", "rot270", "flip_x", "flip_y", "flip_plus1", "flip_minus1")


def _own_hashes(items: list[tuple[str, str]], quality_type: str | None, quality: int | None) -> list[dict[str, Any]]:
    return [{"hash_type": t, "value": v, "quality": quality if t == quality_type else None} for t, v in items]


def _region_type(computed: tuple[str, ...]) -> str | None:
    """The registered region hash type that hash_media computes (its values weighed together), if any."""
    return next(
        (t for t in computed if t in hash_type_names() and get_hash_type(t).single_value_distance is not None), None
    )


def _region_matches(
    state: HubState,
    caller: Caller,
    hash_type: str,
    position: int,
    probes: list[Probe],
    trimmed: bool,
    matched: set[int],
    max_distance: int | None,
) -> list[dict[str, Any]]:
    """Entries the region probes of a file match by the evidence rule (``decide``), one match each, with its
    evidence; entries in ``matched`` (already found by another hash of the file) are not repeated."""
    queries = [Query(i, hash_type, p.value) for i, p in enumerate(probes)]
    found = lookup(
        state.db,
        state.indexes,
        state.caches,
        caller,
        queries,
        max_distance=max_distance,
        audit_log=state.audit,
        evidence=True,
    )
    base: dict[int, dict[str, Any]] = {}
    hits: list[Hit] = []
    for m in found:
        probe = probes[m["query"]]
        hits.append(Hit(m["entry_id"], probe.region, m["distance"], probe.source, probe.aligned, probe.quality))
        base.setdefault(m["entry_id"], m)
    out = []
    for ev in decide(hits, trimmed):
        entry_id = int(str(ev.label))
        if entry_id in matched:
            continue
        out.append({**base[entry_id], "query": position, "distance": ev.distance, "evidence": ev.describe()})
    return out


def _file_types() -> tuple[str, ...]:
    """The hash types of any file (not only images) that :func:`~sharedhash.hashing.media.hash_media` computes."""
    from sharedhash.hashing.media import DEFAULT_TYPES

    return tuple(t for t in DEFAULT_TYPES if t in hash_type_names() and ContentKind.FILE in get_hash_type(t).content)


def lookup_upload(
    state: HubState, caller: Caller, upload: BinaryIO, *, dihedral: bool, max_distance: int | None
) -> FileLookup:
    """Look up an uploaded file: hashed by :func:`hash_upload` (within the hub's decode budget), then looked up by
    :func:`lookup_hashed`."""
    hashed = hash_upload(state, upload, dihedral=dihedral)
    return lookup_hashed(state, caller, hashed, max_distance=max_distance)


@dataclass(frozen=True, slots=True)
class HashedUpload:
    """The hashes of an uploaded file: ``items`` its ``(type, value)`` pairs by type; ``queries`` those and the
    dihedral variants of its dihedral type ``turned`` (queries past ``items`` report as that type's own query;
    ``variants`` names them, in order)."""

    items: list[tuple[str, str]]
    queries: list[Query]
    quality: int | None
    turned: str | None = None
    variants: tuple[str, ...] = ()
    #: The region hash type of the file (its values are weighed together, not queried one by one), the region
    #: probes to look up, and whether the picture had borders trimmed.
    regions: str | None = None
    probes: tuple[Probe, ...] = ()
    trimmed: bool = False


def hash_upload(state: HubState, upload: BinaryIO, *, dihedral: bool) -> HashedUpload:
    """Hash an upload: a video (told by its first bytes) from a temporary file (:func:`hash_video_upload`),
    anything else in memory within ``max_file_bytes`` (:func:`hash_file`). Nothing is kept. What the file holds
    in memory and what its decode needs (from its header) are reserved from the hub's decode budget first (503
    ``busy`` when other uploads hold it)."""
    from sharedhash.hashing.decode import memory_needed
    from sharedhash.hashing.video import looks_like_video

    head = upload.read(_HEAD_BYTES)
    upload.seek(0)
    if looks_like_video(head):
        return hash_video_upload(state, upload)
    limit = state.settings.max_file_bytes
    size = upload.seek(0, 2)
    upload.seek(0)
    if size > limit:
        raise LimitExceededError(f"the file is over the limit of {limit} bytes")
    with state.decode_budget.reserve(size, "the upload"):  # the bytes themselves, while the header is read
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise LimitExceededError(f"the file is over the limit of {limit} bytes")
        need = memory_needed(data, max_pixels=state.settings.max_image_pixels)
    with state.decode_budget.reserve(len(data) + need, "the image"):
        return hash_file(data, dihedral=dihedral)


def lookup_hashed(state: HubState, caller: Caller, hashed: HashedUpload, *, max_distance: int | None) -> FileLookup:
    """Look up a hashed upload: each hit once per (hash, entry), its nearest, a dihedral variant's hit reported as
    its type's own query and named in ``dihedral_variant``; the answer holds the file's own hashes."""
    started = time.perf_counter()
    matches = lookup(
        state.db, state.indexes, state.caches, caller, hashed.queries, max_distance=max_distance, audit_log=state.audit
    )
    found = fold_variants(matches, hashed.items, hashed.variants)
    if hashed.regions is not None and hashed.probes:
        position = next(i for i, (t, _) in enumerate(hashed.items) if t == hashed.regions)
        matched = {m["entry_id"] for m in found}
        found += _region_matches(
            state, caller, hashed.regions, position, list(hashed.probes), hashed.trimmed, matched, max_distance
        )
        found.sort(key=lambda m: (m["query"], m["distance"]))
    state.metrics.lookup_seconds.labels("file").observe(time.perf_counter() - started)
    return FileLookup(
        queried=len(hashed.items),
        matches=found,
        hash_types=[t for t, _ in hashed.items],
        quality=hashed.quality,
        hashes=_own_hashes(hashed.items, hashed.turned, hashed.quality),
    )


def fold_variants(
    matches: list[dict[str, Any]], items: list[tuple[str, str]], variants: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Matches of a file's queries with the dihedral variants' hits reported as their type's query, each (query,
    entry) once at its nearest, by query and distance. Given the ``variants``' names (the queries past ``items``),
    each match of the dihedral type says which variant of the file it is of (``dihedral_variant``)."""
    turned = next((t for t, _ in items if get_hash_type(t).dihedral), None)
    turned_position = next((i for i, (t, _) in enumerate(items) if t == turned), None)
    seen: set[tuple[int, int]] = set()
    unique: list[dict[str, Any]] = []
    for m in sorted(matches, key=lambda m: m["distance"]):
        if m["query"] >= len(items):
            if variants:
                m["dihedral_variant"] = variants[m["query"] - len(items)]
            m["query"] = turned_position if turned_position is not None else m["query"]
        elif variants and m["query"] == turned_position:
            m["dihedral_variant"] = "original"
        if (m["query"], m["entry_id"]) not in seen:
            seen.add((m["query"], m["entry_id"]))
            unique.append(m)
    return sorted(unique, key=lambda m: (m["query"], m["distance"]))


#: Enough of a file's start to tell a video container (:func:`~sharedhash.hashing.video.looks_like_video`).
_HEAD_BYTES = 512
_COPY_CHUNK = 1 << 20


def lookup_video_file(state: HubState, caller: Caller, upload: BinaryIO, *, max_distance: int | None) -> FileLookup:
    """Hash a video upload (:func:`hash_video_upload`) and look the hashes up. Every bad video gets its own error
    code (``hashing/errors.py``)."""
    return lookup_hashed(state, caller, hash_video_upload(state, upload), max_distance=max_distance)


def hash_video_upload(state: HubState, upload: BinaryIO) -> HashedUpload:
    """Copy a video upload to a temporary file (always deleted, whatever happens), within ``max_video_bytes``, and
    hash it (its video hash and digests) under the hub's video limits and decode budget."""
    from sharedhash.hashing.errors import FileTooLargeError
    from sharedhash.hashing.video import VideoLimits, hash_video
    from sharedhash.hashing.video import memory_needed as video_memory_needed

    settings = state.settings
    limits = VideoLimits.from_settings(settings)
    with tempfile.TemporaryDirectory(prefix="sharedhash-upload-") as tmp:
        path = Path(tmp) / "video"
        copied = 0
        with path.open("wb") as out:
            while chunk := upload.read(_COPY_CHUNK):
                copied += len(chunk)
                if copied > limits.max_bytes:
                    raise FileTooLargeError(f"the video is over the limit of {limits.max_bytes:,} bytes")
                out.write(chunk)
        with state.decode_budget.reserve(video_memory_needed(path, limits), "the video"):
            hashed = hash_video(path, seconds_per_hash=settings.vpdq_seconds_per_hash, limits=limits)
    video_type = next(t for t in hash_type_names() if video.is_video_type(t))
    values = {**{t: v for t, v in hashed.hashes.items() if t in hash_type_names()}, video_type: hashed.vpdq.serialise()}
    items = sorted(values.items())
    return HashedUpload(items=items, queries=[Query(i, t, v) for i, (t, v) in enumerate(items)], quality=None)


def lookup_file(
    state: HubState, caller: Caller, data: bytes, *, dihedral: bool, max_distance: int | None
) -> FileLookup:
    """Hash ``data`` in memory (perceptual hashes for images, digests for any file) and look the hashes up; nothing
    is kept. With ``dihedral``, types that support it also match rotated and mirrored copies."""
    return lookup_hashed(state, caller, hash_file(data, dihedral=dihedral), max_distance=max_distance)


def hash_file(data: bytes, *, dihedral: bool) -> HashedUpload:
    """Hash ``data`` in memory (perceptual hashes for images, digests for any file). With ``dihedral``, the
    rotated and mirrored variants of the dihedral type are queries too (the ones that differ from the original)."""
    from sharedhash.errors import UnsupportedMediaError
    from sharedhash.hashing.media import DEFAULT_TYPES, MEDIA_TYPES, hash_media

    regions = _region_type(MEDIA_TYPES)
    try:
        media = hash_media(
            data, (*DEFAULT_TYPES, *([regions] if regions else [])), dihedral=dihedral, probes=regions is not None
        )
    except UnsupportedMediaError:
        # Not an image (a video, a document): its exact hashes can still match.
        media = hash_media(data, _file_types())
    del data
    items = sorted(media.hashes.items())
    # A region type's values are weighed together by the evidence rule (lookup_hashed), not looked up one by one.
    queries = [Query(i, t, v) for i, (t, v) in enumerate(items) if t != regions]
    # The one dihedral type hash_media computes: its variants are queried too, and report as its own query.
    turned = next((t for t, _ in items if get_hash_type(t).dihedral), None)
    extra: list[tuple[str, str]] = []
    if dihedral and turned is not None and media.pdq_dihedral:
        extra = [
            (name, v)
            for name, v in zip(DIHEDRAL_VARIANTS, media.pdq_dihedral, strict=False)
            if v != media.hashes.get(turned)
        ]
        queries += [Query(len(items) + i, turned, v) for i, (_, v) in enumerate(extra)]
    return HashedUpload(
        items=items,
        queries=queries,
        quality=media.pdq_quality,
        turned=turned,
        variants=tuple(name for name, _ in extra),
        regions=regions if regions in media.hashes else None,
        probes=tuple(media.probes or ()),
        trimmed=bool(media.regions is not None and media.regions.trimmed),
    )

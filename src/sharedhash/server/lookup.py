"""Lookup: query the in-memory indexes, keep only hits in lists the caller may read, recheck them in the database.

PDQ hits count only within the list's threshold, and never beyond the request's ``max_distance``; entries the
caller's own org disputes are left out of its answers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sharedhash.errors import InvalidInputError, LimitExceededError
from sharedhash.hashing import get_hash_type
from sharedhash.server.audit_buffer import AuditBuffer
from sharedhash.server.indexes import Hit, IndexSet
from sharedhash.store import audit
from sharedhash.store.db import Database
from sharedhash.store.entries import active_hash_ids, entries_by_id
from sharedhash.store.feedback import feedback_view
from sharedhash.store.lists import PDQ_THRESHOLD_MAX, visible_list_thresholds
from sharedhash.store.visibility import Caller


@dataclass(frozen=True, slots=True)
class Query:
    """One hash to look up, with its position in the request."""

    position: int
    hash_type: str
    value: str


def validate_queries(items: list[tuple[str, str]], limit: int) -> list[Query]:
    """Canonicalise every hash of a request; any bad one fails the whole request, naming its position."""
    if len(items) > limit:
        raise LimitExceededError(f"{len(items)} hashes in one lookup; the limit is {limit}")
    out = []
    for position, (hash_type, value) in enumerate(items):
        try:
            out.append(Query(position, hash_type, get_hash_type(hash_type).validate(value)))
        except InvalidInputError as exc:
            raise type(exc)(f"hash {position}: {exc.message}", hint=exc.hint, position=position) from None
    return out


def lookup(
    db: Database,
    indexes: IndexSet,
    caller: Caller,
    queries: list[Query],
    *,
    max_distance: int | None = None,
    audit_log: AuditBuffer | None = None,
) -> list[dict[str, Any]]:
    """Every match of ``queries`` among the caller's readable lists, as API dicts, nearest first per query."""
    if max_distance is not None and not 0 <= max_distance <= PDQ_THRESHOLD_MAX:
        raise InvalidInputError(f"max_distance must be 0 to {PDQ_THRESHOLD_MAX}")
    with db.reading() as session:
        lists = visible_list_thresholds(session, caller)
    if not lists or not queries:
        _audit(db, audit_log, caller, queries, 0)
        return []

    def allowed(list_id: int, hash_type: str) -> int:
        if hash_type != "pdq":
            return 0
        threshold = lists[list_id][1]
        return threshold if max_distance is None else min(threshold, max_distance)

    by_type: dict[str, list[Query]] = defaultdict(list)
    for q in queries:
        by_type[q.hash_type].append(q)
    raw: list[tuple[Query, Hit]] = []
    for hash_type, group in by_type.items():
        reach = max(allowed(list_id, hash_type) for list_id in lists)
        for q, hits in zip(group, indexes.query(hash_type, [q.value for q in group], reach), strict=True):
            raw.extend((q, h) for h in hits if h.list_id in lists and h.distance <= allowed(h.list_id, hash_type))
    if not raw:
        _audit(db, audit_log, caller, queries, 0)
        return []

    with db.reading() as session:
        live = active_hash_ids(session, {h.hash_id for _, h in raw})
        raw = [(q, h) for q, h in raw if h.hash_id in live]
        entry_ids = {h.entry_id for _, h in raw}
        counts, hidden = feedback_view(session, caller, entry_ids)
        entries = entries_by_id(session, entry_ids - hidden)

    best: dict[tuple[int, int], tuple[Query, Hit]] = {}
    for q, h in raw:
        key = (q.position, h.entry_id)
        if h.entry_id in entries and (key not in best or h.distance < best[key][1].distance):
            best[key] = (q, h)
    matches = []
    for q, h in sorted(best.values(), key=lambda qh: (qh[0].position, qh[1].distance, qh[1].entry_id)):
        entry = entries[h.entry_id]
        matches.append(
            {
                "query": q.position,
                "hash_type": q.hash_type,
                "distance": h.distance,
                "entry_id": entry.id,
                "list_id": h.list_id,
                "list_name": lists[h.list_id][0],
                "classification": entry.classification,
                "labels": list(entry.labels),
                "external_id": entry.external_id,
                "contributor": entry.contributor,
                "feedback": counts[entry.id],
            }
        )
    _audit(db, audit_log, caller, queries, len(matches))
    return matches


def _audit(db: Database, buffer: AuditBuffer | None, caller: Caller, queries: list[Query], matches: int) -> None:
    detail = {"types": sorted({q.hash_type for q in queries}), "matches": matches}
    if buffer is not None:
        buffer.add(caller, "lookup", len(queries), detail)
        return
    with db.writing() as session:
        audit.record(session, caller, "lookup", count=len(queries), detail=detail)

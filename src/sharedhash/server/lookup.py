"""Lookup: query the in-memory indexes and keep only hits in lists the caller may read, answered from memory.

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
from sharedhash.server.caches import LookupCaches
from sharedhash.server.indexes import Hit, IndexSet
from sharedhash.store import audit
from sharedhash.store.db import Database
from sharedhash.store.lists import PDQ_THRESHOLD_MAX
from sharedhash.store.lookup_data import EntryFacts
from sharedhash.store.models import Verdict
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
    caches: LookupCaches,
    caller: Caller,
    queries: list[Query],
    *,
    max_distance: int | None = None,
    audit_log: AuditBuffer | None = None,
) -> list[dict[str, Any]]:
    """Every match of ``queries`` among the caller's readable lists, as API dicts, nearest first per query.

    Answered from memory: the indexes, the caller's readable lists and the matched entries' facts (see
    :mod:`sharedhash.server.caches`); the database is read only for what the caches miss.
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
    raw: list[tuple[Query, Hit]] = []
    for hash_type, group in by_type.items():
        # How far a hit may be in each readable list: its PDQ threshold capped by the request; exact types 0.
        if hash_type == "pdq":
            cap = PDQ_THRESHOLD_MAX if max_distance is None else max_distance
            allowed = {list_id: min(threshold, cap) for list_id, (_, threshold) in lists.items()}
        else:
            allowed = dict.fromkeys(lists, 0)
        reach = max(allowed.values())
        for q, hits in zip(group, indexes.query(hash_type, [q.value for q in group], reach), strict=True):
            for h in hits:
                limit = allowed.get(h.list_id)
                if limit is not None and h.distance <= limit:
                    raw.append((q, h))
    if not raw:
        _audit(db, audit_log, caller, queries, 0)
        return []

    facts = caches.entries.get_many(db, {h.entry_id for _, h in raw})
    best: dict[tuple[int, int], tuple[Query, Hit]] = {}
    for q, h in raw:
        key = (q.position, h.entry_id)
        if key not in best or h.distance < best[key][1].distance:
            best[key] = (q, h)
    matches = []
    mine = (caller.org_id, Verdict.DISPUTE.value)
    for q, h in sorted(best.values(), key=lambda qh: (qh[0].position, qh[1].distance, qh[1].entry_id)):
        entry = facts.get(h.entry_id)
        if entry is None or mine in entry.feedback:  # removed, or disputed by the caller's own org
            continue
        matches.append(
            {
                "query": q.position,
                "hash_type": q.hash_type,
                "distance": h.distance,
                "entry_id": h.entry_id,
                "list_id": h.list_id,
                "list_name": lists[h.list_id][0],
                "classification": entry.classification,
                "labels": list(entry.labels),
                "external_id": entry.external_id,
                "contributor": entry.contributor,
                "feedback": _counts(entry),
            }
        )
    _audit(db, audit_log, caller, queries, len(matches))
    return matches


def _counts(entry: EntryFacts) -> dict[str, int]:
    if not entry.feedback:
        return {"confirm": 0, "dispute": 0}
    confirm = sum(1 for _, verdict in entry.feedback if verdict == Verdict.CONFIRM.value)
    return {"confirm": confirm, "dispute": len(entry.feedback) - confirm}


def _audit(db: Database, buffer: AuditBuffer | None, caller: Caller, queries: list[Query], matches: int) -> None:
    detail = {"types": sorted({q.hash_type for q in queries}), "matches": matches}
    if buffer is not None:
        buffer.add(caller, "lookup", len(queries), detail)
        return
    with db.writing() as session:
        audit.record(session, caller, "lookup", count=len(queries), detail=detail)

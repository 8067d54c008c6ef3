"""What a lookup answer says about a matched entry, read in bulk for the server's in-memory entry cache."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from sharedhash.store.entries import chunked
from sharedhash.store.models import Entry, Feedback


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """An active entry as a match shows it, with every org's verdict on it as ``(org id, verdict)`` pairs."""

    classification: str | None
    labels: tuple[str, ...]
    external_id: str | None
    contributor: str
    feedback: tuple[tuple[int, str], ...]


def entry_facts(session: Session, entry_ids: Iterable[int]) -> dict[int, EntryFacts | None]:
    """Facts of these entries: None for a removed entry; ids unknown to the database are left out."""
    out: dict[int, EntryFacts | None] = {}
    for part in chunked(entry_ids):
        verdicts: dict[int, list[tuple[int, str]]] = defaultdict(list)
        stmt = select(Feedback.entry_id, Feedback.org_id, Feedback.verdict).where(Feedback.entry_id.in_(part))
        for entry_id, org_id, verdict in session.execute(stmt):
            verdicts[entry_id].append((org_id, verdict))
        rows = session.execute(
            select(
                Entry.id, Entry.classification, Entry.labels, Entry.external_id, Entry.contributor, Entry.deleted_at
            ).where(Entry.id.in_(part))
        )
        for entry_id, classification, labels, external_id, contributor, deleted_at in rows:
            if deleted_at is not None:
                out[entry_id] = None
                continue
            out[entry_id] = EntryFacts(
                classification=classification,
                labels=tuple(labels or ()),
                external_id=external_id,
                contributor=contributor,
                feedback=tuple(sorted(verdicts.get(entry_id, ()))),
            )
    return out


def active_entry_ids(session: Session, *, after: int, limit: int) -> list[int]:
    """Up to ``limit`` ids of active entries above ``after``, ascending (warming the entry cache in pages)."""
    stmt = select(Entry.id).where(Entry.id > after, Entry.deleted_at.is_(None)).order_by(Entry.id).limit(limit)
    return list(session.scalars(stmt))

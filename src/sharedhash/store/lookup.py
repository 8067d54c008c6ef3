"""What a lookup answer says about a matched entry, read in bulk for the server's in-memory entry cache.

Reads go through Core on the tables (no ORM objects) and decode each distinct labels value once: the cache
reads every entry at start, a million of them in seconds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.orm import Session

from sharedhash.store.models import Entry, Feedback
from sharedhash.store.sqlhelpers import chunked
from sharedhash.store.textsafe import load_json

_entries = Entry.__table__.c
_feedback = Feedback.__table__.c


@dataclass(frozen=True, slots=True)
class EntryFacts:
    """An active entry as a match shows it, with every org's verdict on it as ``(org id, verdict)`` pairs."""

    classification: str | None
    labels: tuple[str, ...]
    external_id: str | None
    contributor: str
    feedback: tuple[tuple[int, str], ...]
    #: On a mirrored list: the entry's id on its source hub.
    source_entry_id: int | None = None


_COLUMNS = (
    _entries.id,
    _entries.classification,
    type_coerce(_entries.labels, String),  # raw JSON text where the driver leaves it alone: decoded once per value
    _entries.external_id,
    _entries.contributor,
    _entries.deleted_at,
    _entries.source_entry_id,
)


class _Labels:
    """Decodes labels values, each distinct one once."""

    def __init__(self) -> None:
        self._seen: dict[str, tuple[str, ...]] = {}

    def __call__(self, raw: Any) -> tuple[str, ...]:
        if raw is None:
            return ()
        if not isinstance(raw, str):  # a driver that already decoded the JSON (psycopg)
            return tuple(raw)
        found = self._seen.get(raw)
        if found is None:
            found = self._seen[raw] = tuple(load_json(raw) or ())
        return found


def _facts(rows: Iterable[Sequence[Any]], verdicts: dict[int, list[tuple[int, str]]]) -> dict[int, EntryFacts | None]:
    labels = _Labels()
    out: dict[int, EntryFacts | None] = {}
    for entry_id, classification, raw_labels, external_id, contributor, deleted_at, source_entry_id in rows:
        if deleted_at is not None:
            out[entry_id] = None
            continue
        out[entry_id] = EntryFacts(
            classification=classification,
            labels=labels(raw_labels),
            external_id=external_id,
            contributor=contributor,
            feedback=tuple(sorted(verdicts.get(entry_id, ()))),
            source_entry_id=source_entry_id,
        )
    return out


def entry_facts(session: Session, entry_ids: Iterable[int]) -> dict[int, EntryFacts | None]:
    """Facts of these entries: None for a removed entry; ids unknown to the database are left out."""
    out: dict[int, EntryFacts | None] = {}
    connection = session.connection()
    for part in chunked(entry_ids):
        verdicts: dict[int, list[tuple[int, str]]] = defaultdict(list)
        stmt = select(_feedback.entry_id, _feedback.org_id, _feedback.verdict).where(_feedback.entry_id.in_(part))
        for entry_id, org_id, verdict in connection.execute(stmt):
            verdicts[entry_id].append((org_id, verdict))
        out.update(_facts(connection.execute(select(*_COLUMNS).where(_entries.id.in_(part))), verdicts))
    return out


def active_entry_facts(session: Session, *, after: int, limit: int) -> tuple[dict[int, EntryFacts | None], int]:
    """Facts of up to ``limit`` active entries with ids above ``after``, and the highest id read (0 if none).

    Reads a range of ids rather than a list of them (warming the cache at start).
    """
    connection = session.connection()
    rows = connection.execute(
        select(*_COLUMNS).where(_entries.id > after, _entries.deleted_at.is_(None)).order_by(_entries.id).limit(limit)
    ).all()
    if not rows:
        return {}, 0
    last = rows[-1][0]
    verdicts: dict[int, list[tuple[int, str]]] = defaultdict(list)
    stmt = select(_feedback.entry_id, _feedback.org_id, _feedback.verdict).where(
        _feedback.entry_id > after, _feedback.entry_id <= last
    )
    for entry_id, org_id, verdict in connection.execute(stmt):
        verdicts[entry_id].append((org_id, verdict))
    return _facts(rows, verdicts), last

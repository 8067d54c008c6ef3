"""Feedback: each org's ``confirm`` or ``dispute`` of an entry, with a reason code from a fixed list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sharedhash.errors import InvalidInputError, LimitExceededError, NotFoundError
from sharedhash.limits import MAX_NOTE_CHARS
from sharedhash.store.models import Entry, Feedback, Verdict, utcnow
from sharedhash.store.sqlhelpers import chunked
from sharedhash.store.visibility import Caller, readable_entries


class Reason(StrEnum):
    """Why an org confirms or disputes an entry."""

    VERIFIED = "verified"  # the org's own review confirmed it
    MATCHED_OWN_REPORT = "matched_own_report"
    FALSE_POSITIVE = "false_positive"  # the matching media is not what the entry says
    NOT_ILLEGAL = "not_illegal"
    WRONG_CLASSIFICATION = "wrong_classification"
    LOW_QUALITY = "low_quality"
    OTHER = "other"


def give_feedback(
    session: Session, caller: Caller, entry_id: int, verdict: Verdict, reason: Reason, note: str = ""
) -> Feedback:
    """Record (or replace) the caller's org's verdict on a readable entry."""
    if len(note) > MAX_NOTE_CHARS:
        raise LimitExceededError(f"a feedback note is at most {MAX_NOTE_CHARS} characters")
    try:
        verdict, reason = Verdict(verdict), Reason(reason)
    except ValueError as exc:
        raise InvalidInputError(str(exc), hint="Verdicts: confirm, dispute. Reasons: " + ", ".join(Reason)) from None
    if session.scalar(readable_entries(caller).where(Entry.id == entry_id)) is None:
        raise NotFoundError(f"no entry with id {entry_id}")
    row = session.scalar(select(Feedback).where(Feedback.entry_id == entry_id, Feedback.org_id == caller.org_id))
    now = utcnow()
    if row is None:
        row = Feedback(entry_id=entry_id, org_id=caller.org_id, created_at=now)
        session.add(row)
    row.verdict, row.reason, row.note, row.updated_at = verdict.value, reason.value, note, now
    session.flush()
    return row


def withdraw_feedback(session: Session, caller: Caller, entry_id: int) -> None:
    """Remove the caller's org's verdict on an entry."""
    row = session.scalar(select(Feedback).where(Feedback.entry_id == entry_id, Feedback.org_id == caller.org_id))
    if row is None or session.scalar(readable_entries(caller).where(Entry.id == entry_id)) is None:
        raise NotFoundError(f"your org gave no feedback on entry {entry_id}")
    session.delete(row)
    session.flush()


def feedback_counts(session: Session, entry_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """``{entry id: {"confirm": n, "dispute": m}}`` for these entries."""
    ids = list(entry_ids)
    out = {i: {"confirm": 0, "dispute": 0} for i in ids}
    for part in chunked(ids):
        stmt = (
            select(Feedback.entry_id, Feedback.verdict, func.count())
            .where(Feedback.entry_id.in_(part))
            .group_by(Feedback.entry_id, Feedback.verdict)
        )
        for entry_id, verdict, n in session.execute(stmt):
            out[entry_id][verdict] = int(n)
    return out


def feedback_view(
    session: Session, caller: Caller, entry_ids: Iterable[int]
) -> tuple[dict[int, dict[str, int]], set[int]]:
    """:func:`feedback_counts` and :func:`disputed_by` in one query per chunk (the lookup path)."""
    ids = list(entry_ids)
    counts = {i: {"confirm": 0, "dispute": 0} for i in ids}
    mine: set[int] = set()
    for part in chunked(ids):
        stmt = select(Feedback.entry_id, Feedback.verdict, Feedback.org_id).where(Feedback.entry_id.in_(part))
        for entry_id, verdict, org_id in session.execute(stmt):
            counts[entry_id][verdict] += 1
            if org_id == caller.org_id and verdict == Verdict.DISPUTE.value:
                mine.add(entry_id)
    return counts, mine


def disputed_by(session: Session, caller: Caller, entry_ids: Iterable[int]) -> set[int]:
    """Which of these entries the caller's own org disputes (suppressed in its lookups)."""
    found: set[int] = set()
    for part in chunked(entry_ids):
        stmt = select(Feedback.entry_id).where(
            Feedback.entry_id.in_(part), Feedback.org_id == caller.org_id, Feedback.verdict == Verdict.DISPUTE.value
        )
        found.update(session.scalars(stmt))
    return found


def feedback_fingerprint(session: Session) -> tuple[int, datetime | None]:
    """How many verdicts there are and when the newest was given: the server compares these between rounds to
    see feedback written by other processes."""
    count, newest = session.execute(select(func.count(), func.max(Feedback.updated_at))).one()
    if newest is not None and newest.tzinfo is None:  # SQLite forgets the zone in aggregates
        newest = newest.replace(tzinfo=UTC)
    return int(count or 0), newest


def feedback_changed_since(session: Session, since: datetime | None) -> set[int]:
    """Entries whose feedback was given or replaced at or after ``since`` (all entries with feedback if None)."""
    stmt = select(Feedback.entry_id)
    if since is not None:
        stmt = stmt.where(Feedback.updated_at >= since)
    return set(session.scalars(stmt))

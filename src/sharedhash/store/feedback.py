"""Feedback: each org's ``confirm`` or ``dispute`` of an entry, with a reason code from a fixed list."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from sharedhash.errors import InvalidInputError, LimitExceededError, NotFoundError
from sharedhash.limits import MAX_NOTE_CHARS
from sharedhash.store.feed import record_changes
from sharedhash.store.models import (
    ChangeKind,
    Entry,
    EntryHash,
    Feedback,
    FeedbackOutbox,
    HashList,
    SourceFeedback,
    Verdict,
    utcnow,
)
from sharedhash.store.snapshots import snapshot
from sharedhash.store.sqlhelpers import chunked
from sharedhash.store.visibility import Caller, readable_entries


class Reason(StrEnum):
    """Why an org confirms or disputes an entry (docs/hub.md lists them). Modelled on the practice of hash-sharing
    programmes such as NCMEC's: a confirmation says how the org knows; a dispute says what is wrong with the
    entry (the media is not what it says, not illegal, the person's age cannot be told or is adult, the
    classification is wrong, the hash is unreliable)."""

    VERIFIED = "verified"  # the org's own review confirmed it
    MATCHED_OWN_REPORT = "matched_own_report"  # it matches media the org itself reported
    FALSE_POSITIVE = "false_positive"  # the matching media is not what the entry says
    NOT_ILLEGAL = "not_illegal"
    NOT_MINOR = "not_minor"  # the person depicted is an adult
    AGE_UNDETERMINED = "age_undetermined"  # the person's age cannot be determined from the media
    WRONG_CLASSIFICATION = "wrong_classification"
    LOW_QUALITY = "low_quality"
    DUPLICATE = "duplicate"  # the same media is listed as another entry
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
    record_feedback_change(session, entry_id)
    return row


def withdraw_feedback(session: Session, caller: Caller, entry_id: int) -> None:
    """Remove the caller's org's verdict on an entry."""
    row = session.scalar(select(Feedback).where(Feedback.entry_id == entry_id, Feedback.org_id == caller.org_id))
    if row is None or session.scalar(readable_entries(caller).where(Entry.id == entry_id)) is None:
        raise NotFoundError(f"your org gave no feedback on entry {entry_id}")
    session.delete(row)
    session.flush()
    record_feedback_change(session, entry_id)


def record_feedback_change(session: Session, entry_id: int) -> None:
    """Put an entry whose feedback changed on its list's feed again (an ``update`` with the same hashes and its
    verdict counts), so that every node mirroring it hears of it: the counts in the snapshot, and each reader
    org's own verdict beside the page (see :func:`sharedhash.store.feed.read_feed_json`)."""
    entry = session.get(Entry, entry_id)
    if entry is None or entry.deleted_at is not None:
        return
    hashes = session.scalars(
        select(EntryHash).where(EntryHash.entry_id == entry_id, EntryHash.deleted_at.is_(None)).order_by(EntryHash.id)
    )
    snap = snapshot(entry, list(hashes))
    snap["feedback"] = feedback_counts(session, [entry_id])[entry_id]
    record_changes(session, entry.list_id, [(ChangeKind.UPDATE, entry_id, snap)])


def own_verdicts(session: Session, org_id: int, entry_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """``{entry id: {"verdict", "reason", "note"}}`` of the org's own verdicts on these entries."""
    out: dict[int, dict[str, str]] = {}
    for part in chunked(entry_ids):
        stmt = select(Feedback.entry_id, Feedback.verdict, Feedback.reason, Feedback.note).where(
            Feedback.entry_id.in_(part), Feedback.org_id == org_id
        )
        for entry_id, verdict, reason, note in session.execute(stmt):
            out[entry_id] = {"verdict": verdict, "reason": reason, "note": note}
    return out


# -- a node's feedback on mirrored entries, sent to the source hub ------------------------------------------------

OUTBOX_PENDING, OUTBOX_SENT, OUTBOX_DROPPED = "pending", "sent", "dropped"


def mirrored_source(session: Session, entry_id: int) -> tuple[str, int] | None:
    """``(source hub URL, the entry's id there)`` of an entry of a mirrored list, else None."""
    row = session.execute(
        select(HashList.source_url, Entry.source_entry_id)
        .join(HashList, HashList.id == Entry.list_id)
        .where(Entry.id == entry_id)
    ).first()
    if row is None or row[0] is None or row[1] is None:
        return None
    return str(row[0]), int(row[1])


def enqueue_for_source(
    session: Session,
    caller: Caller,
    entry_id: int,
    *,
    verdict: str | None = None,
    reason: str | None = None,
    note: str = "",
) -> FeedbackOutbox | None:
    """If the entry mirrors a source hub's entry, queue the caller's org's verdict (``verdict`` None: its
    withdrawal) for that hub, replacing a verdict still pending for the same entry; None for a local entry."""
    source = mirrored_source(session, entry_id)
    if source is None:
        return None
    session.execute(
        delete(FeedbackOutbox).where(
            FeedbackOutbox.entry_id == entry_id,
            FeedbackOutbox.org_id == caller.org_id,
            FeedbackOutbox.state == OUTBOX_PENDING,
        )
    )
    row = FeedbackOutbox(
        entry_id=entry_id,
        org_id=caller.org_id,
        source_url=source[0],
        source_entry_id=source[1],
        action="give" if verdict is not None else "withdraw",
        verdict=verdict,
        reason=reason,
        note=note,
        state=OUTBOX_PENDING,
        attempts=0,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """A pending verdict for a source hub, as the sender needs it."""

    id: int
    org_id: int
    source_url: str
    source_entry_id: int
    action: str
    verdict: str | None
    reason: str | None
    note: str


def pending_outbox(session: Session, limit: int = 500) -> list[OutboxItem]:
    """The oldest pending verdicts, at most ``limit``."""
    stmt = select(FeedbackOutbox).where(FeedbackOutbox.state == OUTBOX_PENDING).order_by(FeedbackOutbox.id)
    return [
        OutboxItem(r.id, r.org_id, r.source_url, r.source_entry_id, r.action, r.verdict, r.reason, r.note)
        for r in session.scalars(stmt.limit(limit))
    ]


def outbox_done(session: Session, item_id: int, state: str, error: str | None = None) -> None:
    """Mark a queued verdict sent or dropped (a newer verdict may have replaced it meanwhile: then nothing)."""
    session.execute(
        update(FeedbackOutbox)
        .where(FeedbackOutbox.id == item_id, FeedbackOutbox.state == OUTBOX_PENDING)
        .values(state=state, done_at=utcnow(), last_error=error, attempts=FeedbackOutbox.attempts + 1)
    )


def outbox_failed(session: Session, item_id: int, error: str) -> None:
    """Note a failed attempt; the verdict stays pending and is tried again next round."""
    session.execute(
        update(FeedbackOutbox)
        .where(FeedbackOutbox.id == item_id)
        .values(last_error=error[:2000], attempts=FeedbackOutbox.attempts + 1)
    )


def outbox_rows(session: Session, org_id: int | None = None) -> list[FeedbackOutbox]:
    """Every queued verdict (of ``org_id``), newest first (for status)."""
    stmt = select(FeedbackOutbox).order_by(FeedbackOutbox.id.desc())
    if org_id is not None:
        stmt = stmt.where(FeedbackOutbox.org_id == org_id)
    return list(session.scalars(stmt))


def pending_for(session: Session, org_id: int, entry_ids: Iterable[int]) -> set[int]:
    """Which of these entries have a verdict of ``org_id`` still waiting to be sent."""
    found: set[int] = set()
    for part in chunked(entry_ids):
        stmt = select(FeedbackOutbox.entry_id).where(
            FeedbackOutbox.entry_id.in_(part),
            FeedbackOutbox.org_id == org_id,
            FeedbackOutbox.state == OUTBOX_PENDING,
        )
        found.update(session.scalars(stmt))
    return found


def apply_source_verdicts(
    session: Session, caller: Caller, local_ids: Mapping[int, int], yours: Mapping[int, Mapping[str, Any]]
) -> int:
    """Follow the source hub on the node's org's own verdicts: for each mirrored entry of a feed page
    (``local_ids``: remote id -> local id), the verdict the source holds for the org (``yours``, by remote id) is
    copied onto the local entry, and one the source no longer holds is withdrawn, unless the node has a verdict
    of its own still waiting to be sent (the newer one). Returns how many verdicts changed."""
    if not local_ids:
        return 0
    waiting = pending_for(session, caller.org_id, local_ids.values())
    current = {
        row.entry_id: row
        for part in chunked(local_ids.values())
        for row in session.scalars(
            select(Feedback).where(Feedback.entry_id.in_(part), Feedback.org_id == caller.org_id)
        )
    }
    now = utcnow()
    changed = 0
    for remote_id, local_id in local_ids.items():
        if local_id in waiting:
            continue
        want = yours.get(remote_id)
        row = current.get(local_id)
        if want is None:
            if row is not None:
                session.delete(row)
                changed += 1
            continue
        try:
            verdict, reason = Verdict(str(want.get("verdict"))), Reason(str(want.get("reason")))
        except ValueError:
            continue  # a verdict or reason this node does not know: not copied
        note = str(want.get("note") or "")[:MAX_NOTE_CHARS]
        if row is None:
            row = Feedback(entry_id=local_id, org_id=caller.org_id, created_at=now)
            session.add(row)
        elif (row.verdict, row.reason, row.note) == (verdict.value, reason.value, note):
            continue
        row.verdict, row.reason, row.note, row.updated_at = verdict.value, reason.value, note, now
        changed += 1
    session.flush()
    return changed


def set_source_counts(session: Session, counts: Mapping[int, Mapping[str, Any]]) -> None:
    """Keep mirrored entries' verdict counts at their source (``{local entry id: {"confirm", "dispute"}}``)."""
    now = utcnow()
    for entry_id, c in counts.items():
        confirm, dispute = c.get("confirm"), c.get("dispute")
        if type(confirm) is not int or type(dispute) is not int:
            continue
        row = session.get(SourceFeedback, entry_id)
        if row is None:
            session.add(SourceFeedback(entry_id=entry_id, confirm=confirm, dispute=dispute, updated_at=now))
        else:
            row.confirm, row.dispute, row.updated_at = confirm, dispute, now
    session.flush()


def source_counts(session: Session, entry_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Mirrored entries' verdict counts at their source (only those the source's feed carried)."""
    out: dict[int, dict[str, int]] = {}
    for part in chunked(entry_ids):
        for row in session.scalars(select(SourceFeedback).where(SourceFeedback.entry_id.in_(part))):
            out[row.entry_id] = {"confirm": row.confirm, "dispute": row.dispute}
    return out


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

"""Disputes: the list owner reads each verdict on its entries (which org, never which key), keeps an inbox of
entries with open disputes, resolves them (keep with a reply, or remove with a reason that travels on the
tombstone), and a per-list policy quarantines an entry disputed by N distinct orgs.

A quarantined entry is tombstoned (its tombstone says ``quarantined``): it stops matching everywhere its list is
mirrored. Kept by the owner afterwards, it comes back as a new entry with the same hashes and facts (a tombstoned
entry's ids stay dead: the indexes rely on it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from sharedhash import limits
from sharedhash.errors import InvalidInputError, LimitExceededError, NotFoundError
from sharedhash.hub_errors import ReadOnlyListError
from sharedhash.store.entries import tombstone
from sharedhash.store.feed import record_changes
from sharedhash.store.feedback import Reason
from sharedhash.store.lists import get_owned_list
from sharedhash.store.models import (
    ChangeKind,
    DisputePolicy,
    DisputeResolution,
    Entry,
    EntryHash,
    Feedback,
    HashList,
    Org,
    Verdict,
    utcnow,
)
from sharedhash.store.snapshots import snapshot
from sharedhash.store.visibility import Caller

KEEP, REMOVE = "keep", "remove"
#: The tombstone reason of an entry the list's dispute policy took out of matching.
QUARANTINED = "quarantined"


def _owned_entry(session: Session, caller: Caller, entry_id: int) -> tuple[Entry, HashList]:
    """An entry (active or removed) of a list the caller owns; other readers get 403, anyone else 404."""
    entry = session.get(Entry, entry_id)
    if entry is None:
        raise NotFoundError(f"no entry with id {entry_id}")
    hash_list = get_owned_list(session, caller, entry.list_id)
    return entry, hash_list


@dataclass(frozen=True, slots=True)
class Verdict_:
    """One org's verdict on an entry as its list's owner reads it (the org, never the key)."""

    org: str
    verdict: str
    reason: str
    note: str
    created_at: datetime
    updated_at: datetime


def _last_resolution(session: Session, entry_id: int) -> DisputeResolution | None:
    stmt = select(DisputeResolution).where(DisputeResolution.entry_id == entry_id)
    return session.scalar(stmt.order_by(DisputeResolution.id.desc()).limit(1))


@dataclass(frozen=True, slots=True)
class EntryDisputes:
    """Every verdict on an owned entry, whether its disputes are open, and its resolutions (newest first)."""

    entry: Entry
    list_name: str
    verdicts: list[Verdict_]
    open_disputes: int
    resolutions: list[DisputeResolution]


def entry_disputes(session: Session, caller: Caller, entry_id: int) -> EntryDisputes:
    """What the owner of an entry's list reads about its verdicts (see :class:`EntryDisputes`)."""
    entry, hash_list = _owned_entry(session, caller, entry_id)
    rows = session.execute(
        select(Feedback, Org.name).join(Org, Org.id == Feedback.org_id).where(Feedback.entry_id == entry_id)
    ).all()
    verdicts = [
        Verdict_(name, f.verdict, f.reason, f.note, f.created_at, f.updated_at)
        for f, name in sorted(rows, key=lambda r: (r[0].updated_at, r[1]))
    ]
    resolutions = list(
        session.scalars(
            select(DisputeResolution)
            .where(DisputeResolution.entry_id == entry_id)
            .order_by(DisputeResolution.id.desc())
        )
    )
    # A quarantine is the policy's, not an answer: the disputes stay open until the owner resolves them.
    answers = [r for r in resolutions if r.reason != QUARANTINED]
    since = answers[0].created_at if answers else None
    open_ = sum(1 for v in verdicts if v.verdict == Verdict.DISPUTE.value and (since is None or v.updated_at > since))
    return EntryDisputes(entry, hash_list.name, verdicts, open_, resolutions)


@dataclass(frozen=True, slots=True)
class InboxItem:
    """An entry of an owned list with open disputes."""

    entry_id: int
    list_id: int
    list_name: str
    open_disputes: int
    confirms: int
    last_dispute_at: datetime
    quarantined: bool


def dispute_inbox(session: Session, caller: Caller, list_id: int | None = None, limit: int = 100) -> list[InboxItem]:
    """Entries of the caller's lists (or of one) with disputes given since their last resolution, the most
    recently disputed first."""
    if list_id is not None:
        get_owned_list(session, caller, list_id)
    owned = select(HashList.id).where(HashList.owner_org_id == caller.org_id, HashList.source_url.is_(None))
    if list_id is not None:
        owned = owned.where(HashList.id == list_id)
    rows = session.execute(
        select(Feedback.entry_id, Feedback.verdict, Feedback.updated_at, Entry.list_id, Entry.deleted_at)
        .join(Entry, Entry.id == Feedback.entry_id)
        .where(Entry.list_id.in_(owned))
    ).all()
    if not rows:
        return []
    ids = sorted({r[0] for r in rows})
    last: dict[int, datetime] = {}
    for entry_id, when in session.execute(
        select(DisputeResolution.entry_id, func.max(DisputeResolution.created_at))
        .where(DisputeResolution.entry_id.in_(ids), DisputeResolution.reason != QUARANTINED)
        .group_by(DisputeResolution.entry_id)
    ):
        last[entry_id] = when
    names = dict(session.execute(select(HashList.id, HashList.name).where(HashList.id.in_(owned))).all())
    per: dict[int, dict[str, Any]] = {}
    for entry_id, verdict, when, entry_list, deleted_at in rows:
        item = per.setdefault(
            entry_id, {"list": entry_list, "open": 0, "confirm": 0, "last": None, "removed": deleted_at is not None}
        )
        if verdict == Verdict.CONFIRM.value:
            item["confirm"] += 1
            continue
        since = last.get(entry_id)
        if since is None or _aware(when) > _aware(since):
            item["open"] += 1
            item["last"] = max(filter(None, [item["last"], _aware(when)]))
    out = [
        InboxItem(
            entry_id=e,
            list_id=i["list"],
            list_name=names.get(i["list"], ""),
            open_disputes=i["open"],
            confirms=i["confirm"],
            last_dispute_at=i["last"],
            quarantined=i["removed"] and _last_resolution_reason(session, e) == QUARANTINED,
        )
        for e, i in per.items()
        if i["open"]
    ]
    out.sort(key=lambda x: (x.last_dispute_at, x.entry_id), reverse=True)
    return out[:limit]


def _aware(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def _last_resolution_reason(session: Session, entry_id: int) -> str | None:
    last = _last_resolution(session, entry_id)
    return last.reason if last is not None else None


def _remove(session: Session, entry: Entry, reason: str, by: str) -> None:
    """Tombstone an entry with a reason that travels on the tombstone (``removal`` in the feed change)."""
    now = utcnow()
    tombstone(session, entry, now)
    session.flush()
    note = {"id": entry.id, "list_id": entry.list_id, "removal": {"reason": reason, "by": by}}
    record_changes(session, entry.list_id, [(ChangeKind.TOMBSTONE, entry.id, note)])


def _restore(session: Session, entry: Entry) -> int:
    """A quarantined entry kept: a new entry with its hashes and facts (the removed one's ids stay dead)."""
    now = utcnow()
    hashes = list(session.scalars(select(EntryHash).where(EntryHash.entry_id == entry.id).order_by(EntryHash.id)))
    if not hashes or any(not h.value for h in hashes):
        raise InvalidInputError(f"entry {entry.id} cannot be restored: its hashes are gone")
    latest = max(h.deleted_at or now for h in hashes)
    kept = [h for h in hashes if h.deleted_at is None or h.deleted_at >= latest]
    fresh = Entry(
        list_id=entry.list_id,
        org_id=entry.org_id,
        contributor=entry.contributor,
        classification=entry.classification,
        labels=list(entry.labels),
        external_id=entry.external_id,
        created_at=entry.created_at,
        updated_at=now,
    )
    session.add(fresh)
    session.flush()
    rows = [
        EntryHash(entry_id=fresh.id, list_id=entry.list_id, hash_type=h.hash_type, value=h.value, quality=h.quality)
        for h in kept
    ]
    session.add_all(rows)
    session.flush()
    record_changes(session, entry.list_id, [(ChangeKind.ADD, fresh.id, snapshot(fresh, rows))])
    return int(fresh.id)


def resolve(
    session: Session, caller: Caller, entry_id: int, action: str, *, reply: str = "", reason: str = ""
) -> tuple[DisputeResolution, list[int]]:
    """The owner resolves an entry's disputes: ``keep`` (``reply`` for the disputing orgs; a quarantined entry
    comes back as a new entry) or ``remove`` (``reason``, a feedback reason code, travels on the tombstone).
    Returns the resolution and the entries touched (for the indexes)."""
    entry, hash_list = _owned_entry(session, caller, entry_id)
    if hash_list.source_url is not None:
        raise ReadOnlyListError(f"hash list {hash_list.id} mirrors {hash_list.source_url}; its owner there resolves")
    if len(reply) > limits.MAX_NOTE_CHARS:
        raise LimitExceededError(f"a reply is at most {limits.MAX_NOTE_CHARS} characters")
    touched: list[int] = []
    restored: int | None = None
    if action == KEEP:
        if entry.deleted_at is not None:
            if _last_resolution_reason(session, entry_id) != QUARANTINED:
                raise InvalidInputError(f"entry {entry_id} was removed; only a quarantined entry can be kept")
            restored = _restore(session, entry)
            touched.append(restored)
        reason = ""
    elif action == REMOVE:
        try:
            reason = Reason(reason).value
        except ValueError:
            raise InvalidInputError(
                f"unknown removal reason {reason!r}", hint="Reasons: " + ", ".join(Reason)
            ) from None
        if entry.deleted_at is None:
            _remove(session, entry, reason, "owner")
            touched.append(entry.id)
    else:
        raise InvalidInputError(f"unknown resolution {action!r}", hint="Resolve with keep or remove.")
    row = DisputeResolution(
        entry_id=entry_id,
        org_id=caller.org_id,
        action=action,
        reason=reason,
        reply=reply,
        restored_as=restored,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row, touched


def set_policy(session: Session, caller: Caller, list_id: int, quarantine_after: int | None) -> DisputePolicy | None:
    """Set (or with None, clear) an owned list's quarantine threshold: disputes from this many distinct orgs."""
    hash_list = get_owned_list(session, caller, list_id)
    if hash_list.source_url is not None:
        raise ReadOnlyListError(f"hash list {list_id} mirrors {hash_list.source_url}; its owner there sets policies")
    row = session.get(DisputePolicy, list_id)
    if quarantine_after is None:
        if row is not None:
            session.delete(row)
            session.flush()
        return None
    if not 1 <= quarantine_after <= limits.MAX_QUARANTINE_AFTER:
        raise InvalidInputError(f"quarantine_after is 1 to {limits.MAX_QUARANTINE_AFTER} orgs")
    if row is None:
        row = DisputePolicy(list_id=list_id, quarantine_after=quarantine_after, updated_at=utcnow())
        session.add(row)
    row.quarantine_after, row.updated_at = quarantine_after, utcnow()
    session.flush()
    return row


def policy_of(session: Session, caller: Caller, list_id: int) -> DisputePolicy | None:
    """An owned list's dispute policy (None: no automatic quarantine)."""
    get_owned_list(session, caller, list_id)
    return session.get(DisputePolicy, list_id)


def quarantine_if_due(session: Session, entry_id: int) -> bool:
    """After a dispute: if the entry's list has a policy and enough distinct orgs dispute it (since its last
    resolution), quarantine it (tombstoned with reason ``quarantined``, recorded as a resolution). Returns whether
    it did."""
    entry = session.get(Entry, entry_id)
    if entry is None or entry.deleted_at is not None:
        return False
    policy = session.get(DisputePolicy, entry.list_id)
    if policy is None:
        return False
    last = _last_resolution(session, entry_id)
    stmt = select(func.count()).where(Feedback.entry_id == entry_id, Feedback.verdict == Verdict.DISPUTE.value)
    if last is not None:
        stmt = stmt.where(Feedback.updated_at > last.created_at)
    if int(session.scalar(stmt) or 0) < policy.quarantine_after:
        return False
    owner = session.get_one(HashList, entry.list_id).owner_org_id
    _remove(session, entry, QUARANTINED, "policy")
    session.add(
        DisputeResolution(
            entry_id=entry_id, org_id=owner, action=REMOVE, reason=QUARANTINED, reply="", created_at=utcnow()
        )
    )
    session.flush()
    return True

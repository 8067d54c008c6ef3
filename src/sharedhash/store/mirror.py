"""Mirrored lists: local read-only copies of remote lists, changed only by applying the remote feed.

A page of remote changes and the cursor after it are written in one transaction, and entries are keyed by their
remote id, so a sync killed at any point resumes from the last committed page with nothing lost or doubled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from sharedhash import limits
from sharedhash.errors import InvalidInputError, LimitExceededError, NotFoundError
from sharedhash.hub_errors import SubscriptionExistsError
from sharedhash.store.bulkwrite import BulkWriter
from sharedhash.store.entries import active_hashes, insert_entries, tombstone
from sharedhash.store.feed import record_changes
from sharedhash.store.feedback import apply_source_verdicts, set_source_counts
from sharedhash.store.lists import create_list
from sharedhash.store.models import (
    AuditEvent,
    Change,
    ChangeKind,
    Entry,
    EntryHash,
    HashList,
    MirrorAccess,
    Org,
    Subscription,
    utcnow,
)
from sharedhash.store.secretbox import SecretBox
from sharedhash.store.snapshots import snapshot
from sharedhash.store.validation import HashChecker, NewEntry, validate_entry
from sharedhash.store.visibility import Caller


@dataclass(frozen=True, slots=True)
class RemoteChange:
    """One change read from a remote feed."""

    seq: int
    kind: str
    entry_id: int
    entry: dict[str, Any] | None


@dataclass(slots=True)
class PageOutcome:
    """What applying one page did locally."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    touched: list[int] = field(default_factory=list)
    #: The org's own verdicts changed on local entries to follow the source.
    verdicts: int = 0


def find_mirror(session: Session, org_id: int, source_url: str, remote_list_id: int) -> HashList | None:
    """The org's mirror of a remote list, if it has one."""
    return session.scalar(
        select(HashList).where(
            HashList.owner_org_id == org_id,
            HashList.source_url == source_url,
            HashList.source_list_id == remote_list_id,
        )
    )


def mirrors_of(session: Session, org_id: int, source_url: str) -> list[HashList]:
    """Every mirror the org keeps of lists on ``source_url``, by id."""
    stmt = select(HashList).where(HashList.owner_org_id == org_id, HashList.source_url == source_url)
    return list(session.scalars(stmt.order_by(HashList.id)))


def mirror_for(
    session: Session,
    caller: Caller,
    source_url: str,
    remote_list_id: int,
    *,
    name: str,
    pdq_threshold: int,
    video_listed_percent: int = limits.VIDEO_LISTED_PERCENT_DEFAULT,
    video_query_percent: int = limits.VIDEO_QUERY_PERCENT_DEFAULT,
) -> HashList:
    """The caller's mirrored list of a remote list, created (private, read-only) on first sight; its match settings
    follow the remote list's."""
    found = session.scalar(
        select(HashList).where(
            HashList.owner_org_id == caller.org_id,
            HashList.source_url == source_url,
            HashList.source_list_id == remote_list_id,
        )
    )
    if found is not None:
        if found.pdq_threshold != pdq_threshold:
            found.pdq_threshold = pdq_threshold
        if found.video_listed_percent != video_listed_percent:
            found.video_listed_percent = video_listed_percent
        if found.video_query_percent != video_query_percent:
            found.video_query_percent = video_query_percent
        return found
    unique = name
    suffix = 1
    while session.scalar(select(HashList.id).where(HashList.owner_org_id == caller.org_id, HashList.name == unique)):
        suffix += 1
        unique = f"{name} ({suffix})"
    return create_list(
        session,
        caller,
        unique[:200],
        description=f"Mirror of list {remote_list_id} on {source_url}",
        pdq_threshold=pdq_threshold,
        video_listed_percent=video_listed_percent,
        video_query_percent=video_query_percent,
        source_url=source_url,
        source_list_id=remote_list_id,
    )


_CHECK_REMOTE = HashChecker(min_quality=0)


def _parse_snapshot(snap: dict[str, Any]) -> tuple[NewEntry, str]:
    """A remote snapshot checked as any new entry is, and its contributor's name."""
    try:
        hashes = [_CHECK_REMOTE(h["hash_type"], h["value"], h.get("quality")) for h in snap["hashes"]]
        new = validate_entry(hashes, snap.get("classification"), snap.get("labels") or [], snap.get("external_id"))
    except (KeyError, TypeError, AttributeError) as exc:
        raise InvalidInputError(f"a remote feed change has a malformed entry: {exc}") from None
    return new, str(snap.get("contributor") or "")[:100]


def _source_time(snap: dict[str, Any], now: datetime) -> datetime:
    """The entry's creation time at its source (a mirrored entry keeps it); ``now`` if absent, unreadable or
    in the future."""
    raw = snap.get("created_at")
    if not isinstance(raw, str):
        return now
    try:
        when = datetime.fromisoformat(raw)
    except ValueError:
        return now
    when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
    return min(when, now)


def _fields(new: NewEntry, contributor: str) -> dict[str, Any]:
    return {
        "classification": new.classification,
        "labels": list(new.labels),
        "external_id": new.external_id,
        "contributor": contributor,
    }


def apply_page(
    session: Session,
    caller: Caller,
    mirror: HashList,
    changes: list[RemoteChange],
    cursor: str,
    yours: Mapping[int, Mapping[str, Any]] | None = None,
) -> PageOutcome:
    """Apply remote changes in order to a mirrored list and store ``cursor``, in the caller's transaction.

    Mirrored entries keep their source id and creation time. Verdict counts the changes carry are kept
    (:class:`~sharedhash.store.models.SourceFeedback`); ``yours`` (the page's ``your_feedback``, by remote id) are
    the org's own verdicts at the source, followed on the local entries (see
    :func:`~sharedhash.store.feedback.apply_source_verdicts`)."""
    outcome = PageOutcome()
    writer = BulkWriter(session)
    # Only remote entries the mirror already has are loaded as objects (none, for most pages of a first sync).
    known = sorted(writer.existing_sources(mirror.id, sorted({c.entry_id for c in changes})))
    local: dict[int | None, Entry] = {}
    for start in range(0, len(known), 5000):
        chunk = known[start : start + 5000]
        stmt = select(Entry).where(Entry.list_id == mirror.id, Entry.source_entry_id.in_(chunk))
        local.update((e.source_entry_id, e) for e in session.scalars(stmt))
    recorded: list[tuple[ChangeKind, int, dict[str, Any] | None]] = []
    now = utcnow()
    # Adds of entries new to the mirror (the bulk of a first sync) are inserted together; any other change first
    # flushes them, so everything still lands in feed order.
    fresh: list[tuple[int, NewEntry, str, datetime]] = []

    def flush_fresh() -> None:
        if not fresh:
            return
        record_changes(session, mirror.id, recorded)
        recorded.clear()
        ids = insert_entries(
            session,
            caller,
            mirror.id,
            [new for _, new, _, _ in fresh],
            contributors=[name for _, _, name, _ in fresh],
            source_entry_ids=[source for source, _, _, _ in fresh],
            writer=writer,
            created_ats=[born for _, _, _, born in fresh],
        )
        for (source, _, _, _), entry_id in zip(fresh, ids, strict=True):
            inserted[source] = entry_id
        outcome.added += len(ids)
        outcome.touched.extend(ids)
        fresh.clear()

    inserted: dict[int, int] = {}
    pending: set[int] = set()
    counts: dict[int, dict[str, Any]] = {}
    for change in changes:
        if change.kind != ChangeKind.TOMBSTONE.value and change.entry is not None:
            if isinstance(change.entry.get("feedback"), dict):
                counts[change.entry_id] = change.entry["feedback"]
            if change.entry_id not in local and change.entry_id not in inserted and change.entry_id not in pending:
                new, contributor = _parse_snapshot(change.entry)
                fresh.append((change.entry_id, new, contributor, _source_time(change.entry, now)))
                pending.add(change.entry_id)
                continue
        flush_fresh()
        pending.clear()
        if change.entry_id in inserted and change.entry_id not in local:
            local[change.entry_id] = session.get_one(Entry, inserted[change.entry_id])
        existing = local.get(change.entry_id)
        if change.kind == ChangeKind.TOMBSTONE.value:
            if existing is None or existing.deleted_at is not None:
                continue
            tombstone(session, existing, now)
            recorded.append((ChangeKind.TOMBSTONE, existing.id, None))
            outcome.removed += 1
            outcome.touched.append(existing.id)
            session.flush()
            continue
        if change.entry is None:
            raise InvalidInputError(f"remote change {change.seq} is an {change.kind} without an entry")
        parsed, contributor = _parse_snapshot(change.entry)
        hashes, fields = list(parsed.hashes), _fields(parsed, contributor)
        if existing is None:
            entry = Entry(
                list_id=mirror.id,
                org_id=caller.org_id,
                source_entry_id=change.entry_id,
                created_at=_source_time(change.entry, now),
                updated_at=now,
                **fields,
            )
            session.add(entry)
            session.flush()
            session.add_all(
                EntryHash(entry_id=entry.id, list_id=mirror.id, hash_type=h.hash_type, value=h.value, quality=h.quality)
                for h in hashes
            )
            session.flush()
            local[change.entry_id] = entry
            recorded.append((ChangeKind.ADD, entry.id, snapshot(entry, hashes)))
            outcome.added += 1
        elif existing.deleted_at is None:
            entry = existing
            for key, value in fields.items():
                setattr(entry, key, value)
            entry.updated_at = now
            wanted = {(h.hash_type, h.value): h for h in hashes}
            current = active_hashes(session, [entry.id])[entry.id]
            for row in current:
                if (row.hash_type, row.value) not in wanted:
                    row.deleted_at = now
            session.flush()
            have = {(r.hash_type, r.value) for r in current}
            session.add_all(
                EntryHash(entry_id=entry.id, list_id=mirror.id, hash_type=h.hash_type, value=h.value, quality=h.quality)
                for key, h in wanted.items()
                if key not in have
            )
            session.flush()
            recorded.append((ChangeKind.UPDATE, entry.id, snapshot(entry, hashes)))
            outcome.updated += 1
        else:
            continue
        outcome.touched.append(entry.id)
    flush_fresh()
    record_changes(session, mirror.id, recorded)
    session.execute(update(HashList).where(HashList.id == mirror.id).values(source_cursor=cursor))
    live = {c.entry_id for c in changes if c.kind != ChangeKind.TOMBSTONE.value}
    local_ids = {r: inserted[r] for r in live if r in inserted}
    local_ids.update({r: local[r].id for r in live if r in local and local[r].deleted_at is None})
    if counts:
        set_source_counts(session, {local_ids[r]: c for r, c in counts.items() if r in local_ids})
    if yours is not None:
        outcome.verdicts = apply_source_verdicts(session, caller, local_ids, yours)
    return outcome


ACCESS_LOST = "access_lost"


def access_state(session: Session, list_id: int) -> MirrorAccess | None:
    """The mirror's ``access_lost`` record, or None while its access lasts."""
    return session.get(MirrorAccess, list_id)


def purge_mirror(session: Session, mirror: HashList, reason: str, now: datetime | None = None) -> list[int]:
    """The source said the access to this mirror's list ended: tombstone every entry (a feed change each, so the
    node's indexes and term rules drop them within a follower round), then purge what held hashes (the values of
    its hashes, the snapshots of its feed) and forget the remote ids (access that comes back re-syncs from the
    start). Marks the mirror ``access_lost`` with ``reason``. Returns the ids of the tombstoned entries.

    Entries keep their ids and non-hash facts (classification, labels), so feedback, reviews and reports that
    refer to them stay whole."""
    now = now or utcnow()
    live = (Entry.list_id == mirror.id, Entry.deleted_at.is_(None))
    ids = list(session.scalars(select(Entry.id).where(*live).order_by(Entry.id)))
    session.execute(update(Entry).where(*live).values(deleted_at=now, updated_at=now))
    session.execute(
        update(EntryHash).where(EntryHash.list_id == mirror.id, EntryHash.deleted_at.is_(None)).values(deleted_at=now)
    )
    # The indexes drop a hash by its id (its value is not needed): the values themselves are not kept.
    session.execute(update(EntryHash).where(EntryHash.list_id == mirror.id).values(value=""))
    session.execute(delete(Change).where(Change.list_id == mirror.id, Change.kind != ChangeKind.TOMBSTONE.value))
    session.execute(
        update(Entry).where(Entry.list_id == mirror.id, Entry.source_entry_id.is_not(None)).values(source_entry_id=None)
    )
    record_changes(session, mirror.id, [(ChangeKind.TOMBSTONE, entry_id, None) for entry_id in ids])
    session.execute(update(HashList).where(HashList.id == mirror.id).values(source_cursor=None))
    state = session.get(MirrorAccess, mirror.id)
    if state is None:
        session.add(MirrorAccess(list_id=mirror.id, status=ACCESS_LOST, reason=reason[:32], since=now, purged=len(ids)))
    else:
        state.reason, state.purged = reason[:32], state.purged + len(ids)
    session.flush()
    return ids


def restore_access(session: Session, mirror: HashList) -> bool:
    """The source serves this mirror's feed again: it is no longer ``access_lost`` (it re-syncs from the start).
    Returns whether it was."""
    state = session.get(MirrorAccess, mirror.id)
    if state is None:
        return False
    session.delete(state)
    session.flush()
    return True


@dataclass(frozen=True, slots=True)
class MirrorStatus:
    """A mirror as a node's status shows it: ``active``, or ``access_lost`` with why and since when."""

    list_id: int
    name: str
    remote_list_id: int | None
    status: str
    reason: str | None
    since: datetime | None
    entries: int

    def to_dict(self) -> dict[str, Any]:
        """For ``--json`` and the API."""
        return {
            "list_id": self.list_id,
            "name": self.name,
            "remote_list_id": self.remote_list_id,
            "status": self.status,
            "reason": self.reason,
            "since": self.since.isoformat() if self.since else None,
            "entries": self.entries,
        }


def mirror_statuses(session: Session, org_id: int, source_url: str) -> list[MirrorStatus]:
    """The status of every mirror the org keeps of ``source_url``'s lists."""
    mirrors = mirrors_of(session, org_id, source_url)
    ids = [m.id for m in mirrors]
    states = {s.list_id: s for s in session.scalars(select(MirrorAccess).where(MirrorAccess.list_id.in_(ids)))}
    counts = dict(
        session.execute(
            select(Entry.list_id, func.count())
            .where(Entry.list_id.in_(ids), Entry.deleted_at.is_(None))
            .group_by(Entry.list_id)
        ).all()
    )
    out = []
    for m in mirrors:
        state = states.get(m.id)
        out.append(
            MirrorStatus(
                list_id=m.id,
                name=m.name,
                remote_list_id=m.source_list_id,
                status=state.status if state else "active",
                reason=state.reason if state else None,
                since=state.since if state else None,
                entries=int(counts.get(m.id, 0)),
            )
        )
    return out


def subscription_for(session: Session, org_id: int, url: str) -> Subscription | None:
    """The org's subscription to the hub at ``url`` (its stored key sends the org's feedback there)."""
    return session.scalar(select(Subscription).where(Subscription.org_id == org_id, Subscription.url == url))


def list_subscriptions(session: Session) -> list[Subscription]:
    """Every configured subscription."""
    return list(session.scalars(select(Subscription).order_by(Subscription.id)))


#: Longest remote API key a subscription stores (sealed, it must fit the 200-character column).
MAX_REMOTE_KEY_CHARS = 79


def check_subscription(interval_seconds: int, api_key: str) -> None:
    """Refuse an interval out of range (the minimum is documented) or an unusable remote key, before anything is
    written."""
    low, high = limits.MIN_SUBSCRIPTION_INTERVAL_SECONDS, limits.MAX_SUBSCRIPTION_INTERVAL_SECONDS
    if not low <= interval_seconds <= high:
        raise InvalidInputError(
            f"a subscription interval is {low} to {high} seconds, not {interval_seconds}",
            hint=f"The server looks for due subscriptions every {low} s by default; a shorter interval cannot be kept.",
        )
    if not api_key.strip() or len(api_key) > MAX_REMOTE_KEY_CHARS:
        raise LimitExceededError(f"a remote API key has 1 to {MAX_REMOTE_KEY_CHARS} characters")


def add_subscription(
    session: Session,
    caller: Caller,
    url: str,
    api_key: str,
    interval_seconds: int,
    *,
    box: SecretBox | None = None,
) -> Subscription:
    """A standing pull of ``url`` for the caller's org, run by the server every ``interval_seconds``.

    The remote API key is stored encrypted with the node's secret key (see :mod:`sharedhash.store.secretbox`).
    """
    check_subscription(interval_seconds, api_key)
    existing = session.scalar(
        select(Subscription.id).where(Subscription.org_id == caller.org_id, Subscription.url == url)
    )
    if existing is not None:
        raise SubscriptionExistsError(f"org {caller.org_name!r} already subscribes to {url} (subscription {existing})")
    sealed = (box or SecretBox.from_settings()).seal(api_key.strip())
    sub = Subscription(org_id=caller.org_id, url=url, api_key=sealed, interval_seconds=interval_seconds)
    session.add(sub)
    session.flush()
    return sub


@dataclass(frozen=True, slots=True)
class SubscriptionStatus:
    """A subscription as its org sees it (never the remote key): its last run and error, and ``last_success_at``,
    the end of the last sync that completed (from the audit log), from which the lag is counted."""

    subscription: Subscription
    org_name: str
    last_success_at: datetime | None
    mirrors: list[MirrorStatus] = field(default_factory=list)

    def to_dict(self, now: datetime) -> dict[str, Any]:
        """For ``--json`` and the API, never with the remote key. ``lag_seconds``: since the last sync that
        completed (None: none has yet); ``due_at``: when the server runs it next."""
        sub, last_ok = self.subscription, self.last_success_at
        due = sub.last_run_at + timedelta(seconds=sub.interval_seconds) if sub.last_run_at else now
        return {
            "id": sub.id,
            "org": self.org_name,
            "from": sub.url,
            "interval": sub.interval_seconds,
            "created_at": sub.created_at.isoformat(),
            "last_run_at": sub.last_run_at.isoformat() if sub.last_run_at else None,
            "last_error": sub.last_error,
            "last_success_at": last_ok.isoformat() if last_ok else None,
            "lag_seconds": round((now - last_ok).total_seconds(), 1) if last_ok else None,
            "due_at": due.isoformat(),
            "lists": [m.to_dict() for m in self.mirrors],
        }


def _status(session: Session, sub: Subscription, org_name: str) -> SubscriptionStatus:
    last = session.scalar(
        select(func.max(AuditEvent.created_at)).where(
            AuditEvent.org_id == sub.org_id, AuditEvent.action == "sync", AuditEvent.target == sub.url[:200]
        )
    )
    return SubscriptionStatus(sub, org_name, last, mirror_statuses(session, sub.org_id, sub.url))


def subscription_statuses(session: Session, org_id: int | None = None) -> list[SubscriptionStatus]:
    """The subscriptions of ``org_id`` (None: of every org, for the local operator), oldest first."""
    stmt = select(Subscription, Org.name).join(Org, Org.id == Subscription.org_id).order_by(Subscription.id)
    if org_id is not None:
        stmt = stmt.where(Subscription.org_id == org_id)
    return [_status(session, sub, name) for sub, name in session.execute(stmt)]


def subscription_status(session: Session, sub_id: int, org_id: int | None = None) -> SubscriptionStatus:
    """One subscription of ``org_id`` (None: any org's); another org's is not found, as if absent."""
    sub = session.get(Subscription, sub_id)
    if sub is None or (org_id is not None and sub.org_id != org_id):
        raise NotFoundError(f"no subscription {sub_id}", hint="`sharedhash sync subscriptions` lists them.")
    org = session.get_one(Org, sub.org_id)
    return _status(session, sub, org.name)


def remove_subscription(session: Session, sub_id: int, org_id: int | None = None) -> Subscription:
    """Delete a subscription (its mirrors stay, no longer updated); scoped like :func:`subscription_status`."""
    sub = subscription_status(session, sub_id, org_id).subscription
    session.delete(sub)
    session.flush()
    return sub


def record_subscription_run(
    session: Session, sub_id: int, error: str | None, *, reseal: str | None = None, sealed_from: str | None = None
) -> None:
    """Note a subscription's run (now) and its error, if any; ``reseal`` replaces a stored key that is still
    ``sealed_from`` (an older plaintext key, encrypted once it has been used)."""
    sub = session.get(Subscription, sub_id)
    if sub is not None:
        sub.last_run_at = utcnow()
        sub.last_error = error
        if reseal is not None and sub.api_key == sealed_from:
            sub.api_key = reseal

"""Review queues and their items: the action rules enqueue content here; people decide on it (server/review)."""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sharedhash.store.bulkwrite import BulkWriter
from sharedhash.store.db import Transaction, engine_of, session_of
from sharedhash.store.models import (
    ContentCheck,
    ContentMatch,
    Entry,
    ExposureCounter,
    Feedback,
    HashList,
    MediaView,
    Org,
    ReviewItem,
    ReviewQueue,
    ReviewSettings,
    ReviewSkip,
    ReviewState,
    utcnow,
)
from sharedhash.store.sqlhelpers import driver_rows

DEFAULT_QUEUE = "default"
#: Escalated items go here; only leads (and admins) see it.
LEAD_QUEUE = "lead"


def queue_named(session: Session, org_id: int, name: str) -> ReviewQueue:
    """The org's queue of that name, created on first use (by one of several concurrent transactions: the others
    find the one it created)."""
    named = select(ReviewQueue).where(ReviewQueue.org_id == org_id, ReviewQueue.name == name)
    queue = session.scalar(named)
    if queue is not None:
        return queue
    driver_error = session.get_bind().dialect.dbapi.IntegrityError  # type: ignore[union-attr]
    try:
        with session.begin_nested():
            queue = ReviewQueue(org_id=org_id, name=name)
            session.add(queue)
            session.flush()
        session.info.setdefault(_CREATED_QUEUES, set()).add(queue.id)  # not remembered by queue_id before commit
        return queue
    except (IntegrityError, driver_error):
        found = session.scalar(named)  # committed by the concurrent transaction that won
        if found is None:
            raise
        return found


def queue_id(session: Transaction, org_id: int, name: str) -> int:
    """The id of the org's queue of that name, created on first use (:func:`queue_named`); once it exists, read
    without loading the queue as an object, and then remembered in the process (every transaction of content
    checks that enqueues an item asks: one round trip less each).

    Remembering is safe because a queue, once committed, is never renamed nor deleted (nothing in the code does
    either; an org is never deleted) and its id never changes: every process sharing the database finds the same
    id. Only an id read by the query is remembered, never one of a queue this session created (its transaction
    may still roll back); the memory is per database engine, so another database never sees it."""
    engine = engine_of(session)
    known = _QUEUE_IDS.get(engine)
    if known is not None:
        found_id = known.get((org_id, name))
        if found_id is not None:
            return found_id
    sql = "SELECT id FROM review_queues WHERE org_id = %s AND name = %s"
    found = driver_rows(session, sql, (org_id, name)).scalar_one_or_none()
    orm = session_of(session)
    if found is None:
        return queue_named(orm, org_id, name).id
    if int(found) not in orm.info.get(_CREATED_QUEUES, ()):
        _QUEUE_IDS.setdefault(engine, {})[org_id, name] = int(found)
    return int(found)


#: ``{engine: {(org id, queue name): queue id}}`` of queues read committed (see :func:`queue_id`).
_QUEUE_IDS: weakref.WeakKeyDictionary[Any, dict[tuple[int, str], int]] = weakref.WeakKeyDictionary()
#: ``session.info`` key: ids of the queues the session created (not remembered before their commit).
_CREATED_QUEUES = "sharedhash.review.created_queues"


def add_item(
    session: Session,
    *,
    org_id: int,
    check_id: int,
    match_id: int | None,
    queue: str = DEFAULT_QUEUE,
    priority: int = 0,
) -> ReviewItem:
    """Enqueue one piece of content for review in the caller's transaction."""
    item = ReviewItem(
        org_id=org_id,
        queue_id=queue_named(session, org_id, queue).id,
        check_id=check_id,
        match_id=match_id,
        priority=priority,
    )
    session.add(item)
    session.flush()
    return item


def enqueue_reviews(session: Transaction, org_id: int, items: list[tuple[int, int | None, str, int]]) -> None:
    """Enqueue ``(check id, match id, queue name, priority)`` review items in one statement (what :func:`add_item`
    does one at a time; a batch of checks may enqueue thousands)."""
    if not items:
        return
    queues = {name: queue_id(session, org_id, name) for name in {q for _, _, q, _ in items}}
    writer = BulkWriter(session)
    try:
        now = writer.db_time(utcnow())
        state = ReviewState.OPEN.value

        def make(ids: Sequence[int | None]) -> list[tuple[Any, ...]]:
            return [
                (row_id, org_id, queues[queue], check_id, match_id, priority, state, now)
                for row_id, (check_id, match_id, queue, priority) in zip(ids, items, strict=True)
            ]

        # Straight through the driver (executemany on SQLite, COPY or one INSERT ... unnest on PostgreSQL): the
        # ORM's bulk insert of a batch's 5,000 items cost as much as writing its 10,000 checks.
        writer.insert_rows("review_items", _ITEM_COLUMNS[1:], len(items), make)
    finally:
        writer.close()


_ITEM_COLUMNS = ("id", "org_id", "queue_id", "check_id", "match_id", "priority", "state", "created_at")


# --- Deciding (server/review) ------------------------------------------------------------------------------------


def settings_of(session: Session, org_id: int) -> ReviewSettings:
    """The org's review settings (the defaults, unsaved, if it never set any)."""
    row = session.get(ReviewSettings, org_id)
    if row is None:
        row = ReviewSettings(
            org_id=org_id,
            media_hosts=[],
            daily_cap=200,
            break_every=25,
            decision_endpoint=None,
            quarantine=False,
            contribute_list_id=None,
        )
    return row


def settings_for_update(session: Session, org_id: int) -> ReviewSettings:
    """The org's review settings row, created with the defaults on first use, in the caller's transaction."""
    row = session.get(ReviewSettings, org_id)
    if row is None:
        row = ReviewSettings(org_id=org_id, media_hosts=[], daily_cap=200, break_every=25, quarantine=False)
        session.add(row)
        session.flush()
    return row


def queue_ids(session: Session, org_id: int, names: list[str]) -> dict[str, int]:
    """``{name: id}`` of the org's queues among ``names`` that exist."""
    stmt = select(ReviewQueue.name, ReviewQueue.id).where(ReviewQueue.org_id == org_id, ReviewQueue.name.in_(names))
    return {name: id_ for name, id_ in session.execute(stmt)}


def queues_of_org(session: Session, org_id: int) -> dict[str, int]:
    """``{name: id}`` of every queue of the org."""
    stmt = select(ReviewQueue.name, ReviewQueue.id).where(ReviewQueue.org_id == org_id).order_by(ReviewQueue.name)
    return {name: id_ for name, id_ in session.execute(stmt)}


def queue_name_of(session: Session, queue_id: int) -> str:
    """A queue's name."""
    return session.scalar(select(ReviewQueue.name).where(ReviewQueue.id == queue_id)) or ""


def item_of_org(session: Session, org_id: int, item_id: int) -> ReviewItem | None:
    """An item of this org, or None (another org's items are never found)."""
    return session.scalar(select(ReviewItem).where(ReviewItem.id == item_id, ReviewItem.org_id == org_id))


def _claimable(person_id: int, cutoff: datetime) -> Any:
    return or_(ReviewItem.claimed_by.is_(None), ReviewItem.claimed_by == person_id, ReviewItem.claimed_at < cutoff)


def next_item(
    session: Session, org_id: int, queue_ids: list[int], person_id: int, cutoff: datetime
) -> ReviewItem | None:
    """The next open item this person may claim: their own claim first, then highest priority, oldest first;
    items claimed by someone else since ``cutoff`` and items this person skipped are passed over. The row is
    locked (PostgreSQL: others skip it), so two people never claim the same item."""
    if not queue_ids:
        return None
    skipped = select(ReviewSkip.item_id).where(ReviewSkip.person_id == person_id)
    stmt = (
        select(ReviewItem)
        .where(
            ReviewItem.org_id == org_id,
            ReviewItem.queue_id.in_(queue_ids),
            ReviewItem.state == ReviewState.OPEN.value,
            _claimable(person_id, cutoff),
            ReviewItem.id.not_in(skipped),
        )
        .order_by(
            case((ReviewItem.claimed_by == person_id, 1), else_=0).desc(),
            ReviewItem.priority.desc(),
            ReviewItem.created_at,
            ReviewItem.id,
        )
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return session.scalar(stmt)


def claim(session: Session, item_id: int, person_id: int, now: datetime, cutoff: datetime) -> bool:
    """Claim an open item for a person unless someone else holds a fresh claim; whether it is now theirs."""
    result = session.execute(
        update(ReviewItem)
        .where(
            ReviewItem.id == item_id,
            ReviewItem.state == ReviewState.OPEN.value,
            _claimable(person_id, cutoff),
        )
        .values(claimed_by=person_id, claimed_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


def release(session: Session, item_id: int) -> None:
    """Put an item back in its queue, unclaimed."""
    session.execute(update(ReviewItem).where(ReviewItem.id == item_id).values(claimed_by=None, claimed_at=None))


def add_skip(session: Session, item_id: int, person_id: int, reason: str) -> None:
    """Record that a person skipped an item (again: the reason is replaced)."""
    row = session.scalar(select(ReviewSkip).where(ReviewSkip.item_id == item_id, ReviewSkip.person_id == person_id))
    if row is None:
        session.add(ReviewSkip(item_id=item_id, person_id=person_id, reason=reason))
    else:
        row.reason = reason
    session.flush()


@dataclass
class QueueRow:
    """One open item as the queue page lists it (no media, no hash values)."""

    item_id: int
    priority: int
    created_at: datetime
    content_type: str
    claimed_by: int | None
    claimed_at: datetime | None
    queue: str


def open_items(session: Session, org_id: int, queue_ids: list[int], limit: int = 200) -> list[QueueRow]:
    """The open items of these queues in the order they are handed out."""
    if not queue_ids:
        return []
    stmt = (
        select(ReviewItem, ContentCheck.content_type, ReviewQueue.name)
        .join(ContentCheck, ContentCheck.id == ReviewItem.check_id)
        .join(ReviewQueue, ReviewQueue.id == ReviewItem.queue_id)
        .where(
            ReviewItem.org_id == org_id,
            ReviewItem.queue_id.in_(queue_ids),
            ReviewItem.state == ReviewState.OPEN.value,
        )
        .order_by(ReviewItem.priority.desc(), ReviewItem.created_at, ReviewItem.id)
        .limit(limit)
    )
    return [
        QueueRow(i.id, i.priority, i.created_at, ctype, i.claimed_by, i.claimed_at, qname)
        for i, ctype, qname in session.execute(stmt)
    ]


def check_of_item(session: Session, item: ReviewItem) -> ContentCheck:
    """The check (content) an item is about."""
    check = session.get(ContentCheck, item.check_id)
    assert check is not None  # a foreign key
    return check


@dataclass
class MatchFacts:
    """Why a check matched one entry: the list and its owner, the entry's facts, and other orgs' verdicts."""

    match_id: int
    list_id: int
    list_name: str
    owner_org: str
    entry_id: int
    classification: str | None
    labels: list[str]
    hash_type: str
    distance: int
    rule: str | None
    retroactive: bool
    details: dict[str, Any]
    confirmed_by: list[str] = field(default_factory=list)
    disputed_by: list[str] = field(default_factory=list)


def matches_of_check(session: Session, org_id: int, check_id: int) -> list[MatchFacts]:
    """Every match of an org's check, with what explains it."""
    stmt = (
        select(ContentMatch, HashList.name, Org.name, Entry.classification, Entry.labels)
        .join(HashList, HashList.id == ContentMatch.list_id)
        .join(Org, Org.id == HashList.owner_org_id)
        .outerjoin(Entry, Entry.id == ContentMatch.entry_id)
        .where(ContentMatch.check_id == check_id, ContentMatch.org_id == org_id)
        .order_by(ContentMatch.distance, ContentMatch.id)
    )
    facts = [
        MatchFacts(
            match_id=m.id,
            list_id=m.list_id,
            list_name=list_name,
            owner_org=owner,
            entry_id=m.entry_id,
            classification=classification,
            labels=list(labels or []),
            hash_type=m.hash_type,
            distance=m.distance,
            rule=m.rule,
            retroactive=m.retroactive,
            details=dict(m.details or {}),
        )
        for m, list_name, owner, classification, labels in session.execute(stmt)
    ]
    entry_ids = {f.entry_id for f in facts}
    verdicts: dict[int, list[tuple[str, str]]] = {}
    if entry_ids:
        rows = session.execute(
            select(Feedback.entry_id, Feedback.verdict, Org.name)
            .join(Org, Org.id == Feedback.org_id)
            .where(Feedback.entry_id.in_(entry_ids))
            .order_by(Org.name)
        )
        for entry_id, verdict, name in rows:
            verdicts.setdefault(entry_id, []).append((verdict, name))
    for f in facts:
        for verdict, name in verdicts.get(f.entry_id, []):
            (f.confirmed_by if verdict == "confirm" else f.disputed_by).append(name)
    return facts


def match_by_id(session: Session, org_id: int, match_id: int) -> ContentMatch | None:
    """An org's match by id."""
    return session.scalar(select(ContentMatch).where(ContentMatch.id == match_id, ContentMatch.org_id == org_id))


@dataclass
class UploaderMatch:
    """Another matched check of the same uploader."""

    check_id: int
    content_id: str
    content_type: str
    created_at: datetime
    matches: int
    item_id: int | None


def other_matches_of_uploader(
    session: Session, org_id: int, uploader_id: str, except_check: int, limit: int = 20
) -> list[UploaderMatch]:
    """The uploader's other matched checks, newest first, with their match counts and review items."""
    counts = (
        select(ContentMatch.check_id, func.count().label("n"))
        .where(ContentMatch.org_id == org_id)
        .group_by(ContentMatch.check_id)
        .subquery()
    )
    first_item = (
        select(ReviewItem.check_id, func.min(ReviewItem.id).label("item_id"))
        .where(ReviewItem.org_id == org_id)
        .group_by(ReviewItem.check_id)
        .subquery()
    )
    stmt = (
        select(ContentCheck, counts.c.n, first_item.c.item_id)
        .join(counts, counts.c.check_id == ContentCheck.id)
        .outerjoin(first_item, first_item.c.check_id == ContentCheck.id)
        .where(
            ContentCheck.org_id == org_id,
            ContentCheck.uploader_id == uploader_id,
            ContentCheck.id != except_check,
        )
        .order_by(ContentCheck.created_at.desc(), ContentCheck.id.desc())
        .limit(limit)
    )
    return [
        UploaderMatch(c.id, c.content_id, c.content_type, c.created_at, int(n), item_id)
        for c, n, item_id in session.execute(stmt)
    ]


def record_view(session: Session, *, org_id: int, check_id: int, item_id: int, person_id: int, size: str) -> None:
    """Record that a person was shown a check's media (thumbnail or full size)."""
    session.add(MediaView(org_id=org_id, check_id=check_id, item_id=item_id, person_id=person_id, size=size))
    session.flush()


def viewed_checks(session: Session, org_id: int, check_ids: list[int]) -> set[int]:
    """Which of these checks' media a person of the org has viewed (matters for reports of matched files)."""
    if not check_ids:
        return set()
    stmt = select(MediaView.check_id).where(MediaView.org_id == org_id, MediaView.check_id.in_(check_ids)).distinct()
    return set(session.scalars(stmt))


def views_of_check(session: Session, org_id: int, check_id: int) -> list[MediaView]:
    """Every recorded view of a check's media, oldest first."""
    stmt = select(MediaView).where(MediaView.org_id == org_id, MediaView.check_id == check_id).order_by(MediaView.id)
    return list(session.scalars(stmt))


def exposure(session: Session, person_id: int, day: date) -> int:
    """How many files a person viewed at full size on a day."""
    row = session.get(ExposureCounter, (person_id, day))
    return 0 if row is None else row.views


def add_exposure(session: Session, person_id: int, day: date) -> int:
    """Count one more full-size view for a person on a day; the new count."""
    row = session.get(ExposureCounter, (person_id, day), with_for_update=True)
    if row is None:
        row = ExposureCounter(person_id=person_id, day=day, views=0)
        session.add(row)
    row.views += 1
    session.flush()
    return row.views


def decided_by_person(session: Session, org_id: int, person_id: int, before_id: int | None) -> ReviewItem | None:
    """The item this person decided most recently (before item ``before_id`` if given): "previous"."""
    stmt = select(ReviewItem).where(
        ReviewItem.org_id == org_id,
        ReviewItem.decided_by == person_id,
        ReviewItem.state == ReviewState.DECIDED.value,
    )
    if before_id is not None:
        before = session.get(ReviewItem, before_id)
        if before is not None and before.decided_at is not None:
            stmt = stmt.where(
                or_(
                    ReviewItem.decided_at < before.decided_at,
                    and_(ReviewItem.decided_at == before.decided_at, ReviewItem.id < before_id),
                )
            )
    return session.scalar(stmt.order_by(ReviewItem.decided_at.desc(), ReviewItem.id.desc()).limit(1))

"""Entries and their hashes: validation, idempotent adds, updates, tombstones, snapshots for the feed."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from sharedhash.errors import (
    LimitExceededError,
    NotFoundError,
)
from sharedhash.hub_errors import (
    DuplicateExternalIdError,
    DuplicateHashError,
    NotEntryOwnerError,
)
from sharedhash.limits import MAX_HASHES_PER_ENTRY
from sharedhash.store.bulkwrite import BulkWriter
from sharedhash.store.feed import record_changes
from sharedhash.store.feedback import feedback_counts
from sharedhash.store.lists import get_readable_list, get_writable_list
from sharedhash.store.models import ChangeKind, Entry, EntryHash, HashList, utcnow
from sharedhash.store.snapshots import EntryView, snapshot, snapshot_json
from sharedhash.store.sqlhelpers import chunked, value_matches, values_in
from sharedhash.store.validation import (
    HashValue,
    NewEntry,
    validate_classification,
    validate_external_id,
    validate_labels,
)
from sharedhash.store.visibility import Caller, readable_entries


def insert_entries(
    session: Session,
    caller: Caller,
    list_id: int,
    fresh: list[NewEntry],
    *,
    contributors: list[str] | None = None,
    source_entry_ids: list[int] | None = None,
    hash_rows: list[tuple[int, str, str, int, int, bool]] | None = None,
    writer: BulkWriter | None = None,
    created_ats: list[datetime] | None = None,
) -> list[int]:
    """Insert new entries with their hashes and ``add`` changes in three bulk writes; return their ids.

    The caller has checked that none of the hashes is active in the list (bulk import, sync). ``created_ats``
    (sync): each entry's creation time at its source (its ``updated_at`` is now). ``hash_rows``, if given,
    receives ``(hash id, type, value, list id, entry id, True)`` of every inserted hash (for the indexes).
    """
    if not fresh:
        return []
    bulk = writer or BulkWriter(session)
    now = utcnow()
    stamp = bulk.db_time(now)
    iso = now.isoformat()
    names = contributors or [caller.org_name] * len(fresh)
    sources: list[int | None] = list(source_entry_ids) if source_entry_ids else [None] * len(fresh)
    ids = bulk.reserve_ids("entries", len(fresh))
    entry_rows = []
    new_hashes: list[tuple[str, str, int | None, int]] = []
    snapshots = []
    org_id = caller.org_id
    created: list[datetime | None] = list(created_ats) if created_ats else [None] * len(fresh)
    for entry_id, e, name, source, born in zip(ids, fresh, names, sources, created, strict=True):
        labels_json = bulk.labels_json(e.labels)
        born_stamp, born_iso = (stamp, iso) if born is None else (bulk.db_time(born), born.isoformat())
        entry_rows.append(
            (entry_id, list_id, org_id, name, e.classification, labels_json, e.external_id, source, born_stamp, stamp)
        )
        triples = [(h.hash_type, h.value, h.quality) for h in e.hashes]
        new_hashes.extend((t, v, q, entry_id) for t, v, q in triples)
        snapshots.append(
            (
                entry_id,
                snapshot_json(
                    entry_id,
                    list_id,
                    triples,
                    classification=e.classification,
                    labels_json=labels_json,
                    external_id=e.external_id,
                    contributor=name,
                    created_at=born_iso,
                    updated_at=iso,
                ),
            )
        )
    # Hashes go in in value order (ids follow it): the unique value index is then filled front to back rather
    # than at random places, which costs less on both databases.
    new_hashes.sort(key=lambda h: (h[0], h[1]))
    hash_ids = bulk.reserve_ids("entry_hashes", len(new_hashes))
    hash_row_values = [
        (hash_id, entry_id, list_id, t, v, q, stamp)
        for hash_id, (t, v, q, entry_id) in zip(hash_ids, new_hashes, strict=True)
    ]
    if hash_rows is not None:
        hash_rows.extend(
            (hash_id, t, v, list_id, entry_id, True)
            for hash_id, (t, v, _, entry_id) in zip(hash_ids, new_hashes, strict=True)
        )
    bulk.insert_entries(entry_rows)
    bulk.insert_hashes(hash_row_values)
    last = bulk.bump_seq(list_id, len(snapshots))
    first = last - len(snapshots) + 1
    add = ChangeKind.ADD.value
    bulk.insert_changes(
        [(list_id, first + i, add, entry_id, snap, stamp) for i, (entry_id, snap) in enumerate(snapshots)]
    )
    return ids


def active_hashes(session: Session, entry_ids: Iterable[int]) -> dict[int, list[EntryHash]]:
    """Active hashes of each entry."""
    ids = list(entry_ids)
    out: dict[int, list[EntryHash]] = {i: [] for i in ids}
    if not ids:
        return out
    for h in session.scalars(
        select(EntryHash).where(EntryHash.entry_id.in_(ids), EntryHash.deleted_at.is_(None)).order_by(EntryHash.id)
    ):
        out[h.entry_id].append(h)
    return out


def existing_entry_for(session: Session, list_id: int, hashes: Iterable[HashValue]) -> int | None:
    """The id of an active entry of the list that already holds one of ``hashes``, if any."""
    pairs = [(h.hash_type, h.value) for h in hashes]
    if not pairs:
        return None
    stmt = select(EntryHash.entry_id).where(
        EntryHash.list_id == list_id,
        EntryHash.deleted_at.is_(None),
        or_(*(and_(EntryHash.hash_type == t, value_matches(session, EntryHash.value, v)) for t, v in pairs)),
    )
    return session.scalars(stmt.order_by(EntryHash.entry_id).limit(1)).first()


def _check_external_id(session: Session, list_id: int, external_id: str | None, exclude: int | None = None) -> None:
    if external_id is None:
        return
    stmt = select(Entry.id).where(
        Entry.list_id == list_id, Entry.external_id == external_id, Entry.deleted_at.is_(None)
    )
    if exclude is not None:
        stmt = stmt.where(Entry.id != exclude)
    if session.scalar(stmt) is not None:
        raise DuplicateExternalIdError(f"another entry of list {list_id} has external id {external_id!r}")


def add_entry(
    session: Session,
    caller: Caller,
    list_id: int,
    new: NewEntry,
    *,
    source_entry_id: int | None = None,
    contributor: str | None = None,
    sync: bool = False,
) -> tuple[EntryView, bool]:
    """Add an entry to a list; if one of its hashes is already active there, return that entry instead.

    Returns the entry and whether it was created.
    """
    hash_list = get_writable_list(session, caller, list_id, sync=sync)
    existing = existing_entry_for(session, list_id, new.hashes)
    if existing is not None:
        return view_entry(session, existing), False
    _check_external_id(session, list_id, new.external_id)
    now = utcnow()
    entry = Entry(
        list_id=hash_list.id,
        org_id=caller.org_id,
        contributor=contributor or caller.org_name,
        classification=new.classification,
        labels=list(new.labels),
        external_id=new.external_id,
        source_entry_id=source_entry_id,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    rows = [
        EntryHash(
            entry_id=entry.id, list_id=list_id, hash_type=h.hash_type, value=h.value, quality=h.quality, created_at=now
        )
        for h in new.hashes
    ]
    session.add_all(rows)
    session.flush()
    record_changes(session, list_id, [(ChangeKind.ADD, entry.id, snapshot(entry, rows))])
    return EntryView(entry=entry, hashes=rows), True


def view_entry(session: Session, entry_id: int) -> EntryView:
    """An active entry with its active hashes (no visibility check: callers have done it)."""
    entry = session.get(Entry, entry_id)
    if entry is None or entry.deleted_at is not None:
        raise NotFoundError(f"no entry with id {entry_id}")
    return EntryView(entry=entry, hashes=active_hashes(session, [entry_id])[entry_id])


def get_entry(session: Session, caller: Caller, entry_id: int) -> EntryView:
    """An entry the caller may read, with its hashes and feedback counts."""
    entry = session.scalar(readable_entries(caller).where(Entry.id == entry_id))
    if entry is None:
        raise NotFoundError(f"no entry with id {entry_id}")
    return EntryView(
        entry=entry,
        hashes=active_hashes(session, [entry_id])[entry_id],
        feedback=feedback_counts(session, [entry_id]).get(entry_id, {"confirm": 0, "dispute": 0}),
    )


def _writable_entry(session: Session, caller: Caller, entry_id: int, *, sync: bool = False) -> tuple[Entry, HashList]:
    """An entry the caller may change: it contributed it, or owns its list. Others: 403 if visible, else 404."""
    entry = session.scalar(readable_entries(caller).where(Entry.id == entry_id))
    if entry is None:
        raise NotFoundError(f"no entry with id {entry_id}")
    hash_list = get_writable_list(session, caller, entry.list_id, sync=sync)
    if entry.org_id != caller.org_id and hash_list.owner_org_id != caller.org_id:
        raise NotEntryOwnerError(
            f"entry {entry_id} was contributed by another org to hash list {hash_list.id}, which your org does not "
            "own: only the contributing org or the list's owner changes or removes it"
        )
    session.refresh(entry)
    if entry.deleted_at is not None:
        raise NotFoundError(f"no entry with id {entry_id}")
    return entry, hash_list


#: Marks an argument the caller did not pass (None is a meaningful value: "clear it").
UNSET: Any = object()


def update_entry(
    session: Session,
    caller: Caller,
    entry_id: int,
    *,
    classification: str | None = UNSET,
    labels: Iterable[str] | None = None,
    external_id: str | None = UNSET,
    add_hashes: Iterable[HashValue] = (),
    sync: bool = False,
) -> EntryView:
    """Change an entry's classification, labels or external id, or add hashes to it; one ``update`` change."""
    entry, hash_list = _writable_entry(session, caller, entry_id, sync=sync)
    if classification is not UNSET:
        entry.classification = validate_classification(classification)
    if labels is not None:
        entry.labels = list(validate_labels(labels))
    if external_id is not UNSET:
        new_external = validate_external_id(external_id)
        _check_external_id(session, entry.list_id, new_external, exclude=entry.id)
        entry.external_id = new_external
    extra = list(add_hashes)
    if extra:
        current = active_hashes(session, [entry_id])[entry_id]
        have = {(h.hash_type, h.value) for h in current}
        fresh = [h for h in extra if (h.hash_type, h.value) not in have]
        if len(current) + len(fresh) > MAX_HASHES_PER_ENTRY:
            raise LimitExceededError(f"an entry has at most {MAX_HASHES_PER_ENTRY} hashes")
        other = existing_entry_for(session, entry.list_id, fresh)
        if other is not None:
            raise DuplicateHashError(f"one of the hashes already belongs to entry {other} of this list")
        session.add_all(
            EntryHash(entry_id=entry.id, list_id=entry.list_id, hash_type=h.hash_type, value=h.value, quality=h.quality)
            for h in fresh
        )
    entry.updated_at = utcnow()
    session.flush()
    view = EntryView(entry=entry, hashes=active_hashes(session, [entry_id])[entry_id])
    record_changes(session, hash_list.id, [(ChangeKind.UPDATE, entry.id, snapshot(entry, view.hashes))])
    return view


def tombstone(session: Session, entry: Entry, now: datetime) -> None:
    """Mark ``entry`` and its active hashes removed at ``now`` (the one tombstone step of removals and mirrors;
    the caller records the feed change)."""
    entry.deleted_at = now
    entry.updated_at = now
    session.execute(
        update(EntryHash).where(EntryHash.entry_id == entry.id, EntryHash.deleted_at.is_(None)).values(deleted_at=now)
    )


def remove_entry(session: Session, caller: Caller, entry_id: int, *, sync: bool = False) -> Entry:
    """Tombstone an entry and all its hashes; they stop matching at once."""
    entry, hash_list = _writable_entry(session, caller, entry_id, sync=sync)
    tombstone(session, entry, utcnow())
    session.flush()
    record_changes(session, hash_list.id, [(ChangeKind.TOMBSTONE, entry.id, None)])
    return entry


def remove_hash(session: Session, caller: Caller, entry_id: int, hash_value: HashValue) -> EntryView | None:
    """Tombstone one hash of an entry; removing its last hash tombstones the entry (returns None then)."""
    entry, hash_list = _writable_entry(session, caller, entry_id)
    current = active_hashes(session, [entry_id])[entry_id]
    target = [h for h in current if h.hash_type == hash_value.hash_type and h.value == hash_value.value]
    if not target:
        raise NotFoundError(f"entry {entry_id} has no active {hash_value.hash_type} hash {hash_value.value[:8]}…")
    if len(current) == 1:
        remove_entry(session, caller, entry_id)
        return None
    now = utcnow()
    target[0].deleted_at = now
    entry.updated_at = now
    session.flush()
    remaining = [h for h in current if h is not target[0]]
    record_changes(session, hash_list.id, [(ChangeKind.UPDATE, entry.id, snapshot(entry, remaining))])
    return EntryView(entry=entry, hashes=remaining)


def list_entries(
    session: Session, caller: Caller, list_id: int, *, after_id: int = 0, limit: int = 100
) -> list[EntryView]:
    """A page of a readable list's active entries, by id."""
    get_readable_list(session, caller, list_id)
    entries = list(
        session.scalars(
            readable_entries(caller)
            .where(Entry.list_id == list_id, Entry.id > after_id)
            .order_by(Entry.id)
            .limit(limit)
        )
    )
    hashes = active_hashes(session, [e.id for e in entries])
    return [EntryView(entry=e, hashes=hashes[e.id]) for e in entries]


def hash_rows_of_entries(session: Session, entry_ids: Iterable[int]) -> list[tuple[int, str, str, int, int, bool]]:
    """``(hash id, type, value, list id, entry id, active)`` of every hash ever held by these entries."""
    ids = list(entry_ids)
    if not ids:
        return []
    stmt = select(
        EntryHash.id,
        EntryHash.hash_type,
        EntryHash.value,
        EntryHash.list_id,
        EntryHash.entry_id,
        EntryHash.deleted_at.is_(None),
    ).where(EntryHash.entry_id.in_(ids))
    return [(r[0], r[1], r[2], r[3], r[4], bool(r[5])) for r in session.execute(stmt)]


def iter_active_hash_columns(
    session: Session, batch: int = 200_000
) -> Iterator[tuple[tuple[int, ...], tuple[str, ...], tuple[str, ...], tuple[int, ...], tuple[int, ...]]]:
    """Every active hash as columns ``(hash ids, types, values, list ids, entry ids)``, by id, in big batches.

    Reads through the driver (no SQLAlchemy row objects): building the indexes at start reads every hash.
    """
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    mark = "%s" if session.get_bind().dialect.name == "postgresql" else "?"
    query = (
        "SELECT id, hash_type, value, list_id, entry_id FROM entry_hashes"  # noqa: S608 (placeholders only)
        f" WHERE deleted_at IS NULL AND id > {mark} ORDER BY id LIMIT {mark}"
    )
    last = 0
    try:
        while True:
            cursor.execute(query, (last, batch))
            rows = cursor.fetchall()
            if not rows:
                return
            ids, types, values, list_ids, entry_ids = zip(*rows, strict=True)
            yield ids, types, values, list_ids, entry_ids
            last = ids[-1]
    finally:
        cursor.close()


def active_hash_ids(session: Session, hash_ids: Iterable[int]) -> set[int]:
    """Which of these hash ids are still active with an active entry (the truth behind a lookup hit)."""
    found: set[int] = set()
    for ids in chunked(hash_ids):
        stmt = (
            select(EntryHash.id)
            .join(Entry, Entry.id == EntryHash.entry_id)
            .where(EntryHash.id.in_(ids), EntryHash.deleted_at.is_(None), Entry.deleted_at.is_(None))
        )
        found.update(session.scalars(stmt))
    return found


def entries_by_id(session: Session, entry_ids: Iterable[int]) -> dict[int, Entry]:
    """Active entries by id (no visibility check: lookups filter by visible list first)."""
    out: dict[int, Entry] = {}
    for ids in chunked(entry_ids):
        stmt = select(Entry).where(Entry.id.in_(ids), Entry.deleted_at.is_(None))
        out.update((e.id, e) for e in session.scalars(stmt))
    return out


def find_active_pairs(session: Session, list_id: int, pairs: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which ``(type, value)`` pairs are already active in a list (bulk import's idempotency check)."""
    by_type: dict[str, list[str]] = {}
    for hash_type, value in pairs:
        by_type.setdefault(hash_type, []).append(value)
    found: set[tuple[str, str]] = set()
    for hash_type, values in by_type.items():
        stmt = select(EntryHash.value).where(
            EntryHash.list_id == list_id,
            EntryHash.hash_type == hash_type,
            EntryHash.deleted_at.is_(None),
            values_in(session, EntryHash.value, values),
        )
        wanted = set(values)
        found.update((hash_type, v) for v in session.scalars(stmt) if v in wanted)
    return found

"""Entries and their hashes: validation, idempotent adds, updates, tombstones, snapshots for the feed."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Table, and_, insert, or_, select, text, update
from sqlalchemy.orm import Session

from sharedhash.errors import (
    InvalidInputError,
    LimitExceededError,
    NotFoundError,
    PermissionDeniedError,
    SharedhashError,
)
from sharedhash.hashing import get_hash_type
from sharedhash.store.bulkwrite import BulkWriter, snapshot_json
from sharedhash.store.errors import (
    DuplicateExternalIdError,
    DuplicateHashError,
    InvalidClassificationError,
    LowQualityHashError,
)
from sharedhash.store.feed import record_changes
from sharedhash.store.lists import get_writable_list
from sharedhash.store.models import ChangeKind, Classification, Entry, EntryHash, HashList, utcnow
from sharedhash.store.visibility import Caller, readable_entries

MAX_HASHES_PER_ENTRY = 32
MAX_LABELS = 50
MAX_LABEL_CHARS = 100
MAX_EXTERNAL_ID_CHARS = 200


class HashValue(NamedTuple):
    """A validated hash of an entry: canonical value, and the PDQ quality when the contributor gave it.

    (A named tuple rather than a frozen dataclass: bulk paths make millions, and this is 3x cheaper to create.)
    """

    hash_type: str
    value: str
    quality: int | None = None


class NewEntry(NamedTuple):
    """A validated entry to add."""

    hashes: tuple[HashValue, ...]
    classification: str | None = None
    labels: tuple[str, ...] = ()
    external_id: str | None = None


def chunked(values: Iterable[int], size: int = 5000) -> Iterator[list[int]]:
    """``values`` in lists of at most ``size``: IN lists stay under PostgreSQL's 65,535 bind parameters."""
    batch = list(values)
    for start in range(0, len(batch), size):
        yield batch[start : start + size]


def validate_hash(hash_type: str, value: str, quality: int | None = None, *, min_quality: int = 50) -> HashValue:
    """Canonicalise one hash; unknown types, malformed values and low-quality PDQ hashes raise."""
    canonical = get_hash_type(hash_type).validate(value)
    if quality is not None:
        if not 0 <= quality <= 100:
            raise InvalidInputError(f"quality {quality} is out of range (0 to 100)")
        if hash_type == "pdq" and quality < min_quality:
            raise LowQualityHashError(f"pdq hash {canonical[:8]}… has quality {quality}, under {min_quality}")
    return HashValue(hash_type=hash_type, value=canonical, quality=quality)


_LOWER_HEX = re.compile(r"[0-9a-f]+")


def _canonical_hex_width(hash_type: str) -> int | None:
    """The length of a built-in hex hash type's canonical value (None for any other or unknown type)."""
    from sharedhash.hashing.types.crypto import Md5HashType, Sha1HashType, Sha256HashType
    from sharedhash.hashing.types.pdq import PdqHashType

    try:
        found = get_hash_type(hash_type)
    except SharedhashError:
        return None
    widths = {PdqHashType: 64, Md5HashType: 32, Sha1HashType: 40, Sha256HashType: 64}
    return widths.get(type(found))


class HashChecker:
    """:func:`validate_hash` for bulk paths: a value already in canonical form (lowercase hex of the right
    length, the common case) is accepted after one regex match; anything else takes the full path."""

    def __init__(self, min_quality: int = 50) -> None:
        self.min_quality = min_quality
        self._widths: dict[str, int | None] = {}

    def __call__(self, hash_type: str, value: str, quality: int | None = None) -> HashValue:
        """The validated hash, or the error :func:`validate_hash` raises."""
        width = self._widths.get(hash_type, -1)
        if width == -1:
            width = self._widths[hash_type] = _canonical_hex_width(hash_type)
        if (
            width is not None
            and len(value) == width
            and _LOWER_HEX.fullmatch(value) is not None
            and (quality is None or (0 <= quality <= 100 and (hash_type != "pdq" or quality >= self.min_quality)))
        ):
            return HashValue(hash_type, value, quality)
        return validate_hash(hash_type, value, quality, min_quality=self.min_quality)


def check_text(value: str, what: str) -> str:
    """``value`` unchanged, unless it holds a NUL character (PostgreSQL cannot store one; nothing real has one)."""
    if "\x00" in value:
        raise InvalidInputError(f"{what} contains a NUL character")
    return value


def validate_classification(value: str | None) -> str | None:
    """A classification name, or None for "none" / empty."""
    if value is None or value in ("", "none"):
        return None
    if value in _CLASSIFICATIONS:
        return value
    try:
        return Classification(value).value
    except ValueError:
        raise InvalidClassificationError(f"unknown classification {value!r}") from None


_CLASSIFICATIONS = frozenset(c.value for c in Classification)


def validate_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """Free labels: trimmed, non-empty, unique, bounded in count and length; order kept."""
    given = tuple(labels)
    if not given:
        return ()
    if all(type(label) is str for label in given):
        return _validate_label_strings(given)  # bulk paths repeat the same few label sets: cached
    return _validate_labels(given)


@functools.lru_cache(maxsize=4096)
def _validate_label_strings(labels: tuple[str, ...]) -> tuple[str, ...]:
    return _validate_labels(labels)


def _validate_labels(labels: tuple[Any, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for label in labels:
        if not isinstance(label, str):
            raise InvalidInputError("labels are strings")
        text = check_text(label.strip(), "a label")
        if not text:
            continue
        if len(text) > MAX_LABEL_CHARS:
            raise LimitExceededError(f"a label is at most {MAX_LABEL_CHARS} characters")
        if text not in out:
            out.append(text)
    if len(out) > MAX_LABELS:
        raise LimitExceededError(f"an entry has at most {MAX_LABELS} labels")
    return tuple(out)


def validate_external_id(value: str | None) -> str | None:
    """An optional external id (the contributor's own reference), at most 200 characters."""
    if value is None or value.strip() == "":
        return None
    if len(value) > MAX_EXTERNAL_ID_CHARS:
        raise LimitExceededError(f"an external id is at most {MAX_EXTERNAL_ID_CHARS} characters")
    return check_text(value.strip(), "the external id")


def validate_entry(
    hashes: Iterable[HashValue],
    classification: str | None = None,
    labels: Iterable[str] = (),
    external_id: str | None = None,
) -> NewEntry:
    """Check an entry as a whole: 1 to 32 hashes, none twice."""
    hash_tuple = tuple(hashes)
    count = len(hash_tuple)
    if not count:
        raise InvalidInputError("an entry needs at least one hash")
    if count > MAX_HASHES_PER_ENTRY:
        raise LimitExceededError(f"an entry has at most {MAX_HASHES_PER_ENTRY} hashes")
    if count > 1 and len({(h.hash_type, h.value) for h in hash_tuple}) != count:
        raise DuplicateHashError("the same hash appears twice in one entry")
    return NewEntry(
        hashes=hash_tuple,
        classification=validate_classification(classification),
        labels=validate_labels(labels),
        external_id=validate_external_id(external_id),
    )


@dataclass(slots=True)
class EntryView:
    """An entry as the API shows it (also the feed snapshot, without the feedback counts)."""

    entry: Entry
    hashes: list[EntryHash]
    feedback: dict[str, int] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        """The JSON form carried by feed changes and exports."""
        return snapshot(self.entry, self.hashes)


def _hash_dict(h: EntryHash | HashValue) -> dict[str, Any]:
    out: dict[str, Any] = {"hash_type": h.hash_type, "value": h.value}
    if h.quality is not None:
        out["quality"] = h.quality
    return out


def snapshot(entry: Entry, hashes: Iterable[EntryHash | HashValue]) -> dict[str, Any]:
    """The JSON form of an entry with its active hashes, as carried by the feed and exports."""
    return snapshot_of(
        entry.id,
        entry.list_id,
        hashes,
        classification=entry.classification,
        labels=entry.labels,
        external_id=entry.external_id,
        contributor=entry.contributor,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def snapshot_of(
    entry_id: int,
    list_id: int,
    hashes: Iterable[EntryHash | HashValue],
    *,
    classification: str | None,
    labels: Iterable[str],
    external_id: str | None,
    contributor: str,
    created_at: datetime,
    updated_at: datetime,
) -> dict[str, Any]:
    """:func:`snapshot` from plain values (bulk paths build thousands without ORM objects)."""
    return {
        "id": entry_id,
        "list_id": list_id,
        "hashes": sorted((_hash_dict(h) for h in hashes), key=lambda d: (d["hash_type"], d["value"])),
        "classification": classification,
        "labels": list(labels),
        "external_id": external_id,
        "contributor": contributor,
        "created_at": created_at.isoformat(),
        "updated_at": updated_at.isoformat(),
    }


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows with one executemany (Core, cached statement; a literal multi-row VALUES per batch was
    measured 5x slower because SQLAlchemy compiles it afresh every time)."""
    if rows:
        session.execute(insert(table), rows)


def reserve_ids(session: Session, table: str, n: int) -> list[int]:
    """``n`` unused ids of ``table`` (entries or entry_hashes) for explicit multi-row inserts."""
    if session.get_bind().dialect.name == "postgresql":
        stmt = text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)")
        return [int(i) for i in session.scalars(stmt, {"t": table, "n": n})]
    # SQLite: the writing transaction began with BEGIN IMMEDIATE, so no other writer can take these ids.
    top = session.scalar(text(f"SELECT coalesce(max(id), 0) FROM {table}"))  # noqa: S608 (fixed table names)
    return list(range(int(top or 0) + 1, int(top or 0) + 1 + n))


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
) -> list[int]:
    """Insert new entries with their hashes and ``add`` changes in three bulk writes; return their ids.

    The caller has checked that none of the hashes is active in the list (bulk import, sync). ``hash_rows``, if
    given, receives ``(hash id, type, value, list id, entry id, True)`` of every inserted hash (for the indexes).
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
    for entry_id, e, name, source in zip(ids, fresh, names, sources, strict=True):
        labels_json = bulk.labels_json(e.labels)
        entry_rows.append(
            (entry_id, list_id, org_id, name, e.classification, labels_json, e.external_id, source, stamp, stamp)
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
                    created_at=iso,
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
        or_(*(and_(EntryHash.hash_type == t, EntryHash.value == v) for t, v in pairs)),
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
    from sharedhash.store.feedback import feedback_counts

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
        raise PermissionDeniedError("only the contributing org or the list owner may change this entry")
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


def remove_entry(session: Session, caller: Caller, entry_id: int, *, sync: bool = False) -> Entry:
    """Tombstone an entry and all its hashes; they stop matching at once."""
    entry, hash_list = _writable_entry(session, caller, entry_id, sync=sync)
    now = utcnow()
    entry.deleted_at = now
    entry.updated_at = now
    session.execute(
        update(EntryHash).where(EntryHash.entry_id == entry_id, EntryHash.deleted_at.is_(None)).values(deleted_at=now)
    )
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
    from sharedhash.store.lists import get_readable_list

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
            EntryHash.value.in_(values),
        )
        found.update((hash_type, v) for v in session.scalars(stmt))
    return found

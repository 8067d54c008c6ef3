"""Content checks and their matches (the act domain): written in bulk, read back as answers, purged after the
retention period; the fixed-width hashes of recent checks are kept in ``check_hashes`` for retroactive matching.

Writes go through Core inserts with RETURNING (one executemany per table): a batch of 10,000 hash-only checks is
three statements. Another org's checks are never found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import delete, exists, func, or_, select, text, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sharedhash.errors import ConflictError, NotFoundError
from sharedhash.store.bulkwrite import BulkWriter, fits_one_statement, fits_one_statement_on_postgres
from sharedhash.store.db import Transaction, connection_of
from sharedhash.store.models import (
    CheckHash,
    ContentCheck,
    ContentMatch,
    OutboxEvent,
    OutboxState,
    QuarantineFile,
    ReviewItem,
    check_hash_value_indexed,
    near_match_types,
)
from sharedhash.store.sqlhelpers import chunked

_checks = ContentCheck.__table__
_matches = ContentMatch.__table__
_check_hashes = CheckHash.__table__
_sha256 = hashlib.sha256


def idempotency_key(content_id: str, hashes: Iterable[tuple[str, str]]) -> str:
    """The key of a check: one per (content id, set of hashes); the org is the other half of the unique key.

    The SHA-256 (hex) of the content id followed by ``"\\n" + type + ":" + value`` for each distinct hash in sorted
    order, all UTF-8. Stored checks are found by it, so its value never changes; the text is encoded and hashed
    in one go (one call for the usual one-hash item, not an update per hash)."""
    if isinstance(hashes, list) and len(hashes) == 1:
        hash_type, value = hashes[0]
        return _sha256(f"{content_id}\n{hash_type}:{value}".encode()).hexdigest()
    text = content_id + "".join([f"\n{hash_type}:{value}" for hash_type, value in sorted(set(hashes))])
    return _sha256(text.encode()).hexdigest()


def existing_checks(session: Transaction, org_id: int, keys: Iterable[str]) -> dict[str, int]:
    """``{idempotency key: check id}`` of the org's checks among ``keys``.

    Straight through the driver (the unique index on ``(org_id, idempotency_key)`` answers): on PostgreSQL one
    ``= ANY(array)``, on SQLite ``IN`` lists of bound parameters. SQLAlchemy's expansion of a 10,000-key ``IN``
    list cost more than the query itself (measured: 0.2 s per look-up of a batch, and a batch made two)."""
    wanted = list(set(keys))
    if not wanted:
        return {}
    connection = connection_of(session)
    if connection.dialect.name == "postgresql":
        # The keys as one text split by the server (keys are hex digests: no comma): psycopg's conversion of a
        # 10,000-string list to an array parameter cost about half of the look-up.
        joined = ",".join(wanted)
        if joined.count(",") == len(wanted) - 1:
            sql = (
                "SELECT idempotency_key, id FROM checks "
                "WHERE org_id = %s AND idempotency_key = ANY(string_to_array(%s, ','))"
            )
            params: tuple[Any, ...] = (org_id, joined)
        else:
            sql = "SELECT idempotency_key, id FROM checks WHERE org_id = %s AND idempotency_key = ANY(%s)"
            params = (org_id, wanted)
        return {str(k): int(i) for k, i in connection.exec_driver_sql(sql, params)}
    out: dict[str, int] = {}
    for start in range(0, len(wanted), _SQLITE_KEYS):
        part = wanted[start : start + _SQLITE_KEYS]
        marks = ", ".join("?" * len(part))
        sql = f"SELECT idempotency_key, id FROM checks WHERE org_id = ? AND idempotency_key IN ({marks})"  # noqa: S608
        out.update({str(k): int(i) for k, i in connection.exec_driver_sql(sql, (org_id, *part))})
    return out


#: Keys per SQLite ``IN`` list (SQLite allows 32,766 bound parameters).
_SQLITE_KEYS = 30_000


def _insert(session: Session, table: Any, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows with ids drawn first, straight through the driver (:class:`BulkWriter`: executemany on SQLite,
    COPY on PostgreSQL). Measured on a batch of 10,000 checks: RETURNING with ordered ids ran row by row on SQLite
    (25x slower), and SQLAlchemy's per-row parameter processing took most of what remained."""
    if not rows:
        return []
    columns = ["id", *rows[0]]
    writer = BulkWriter(session)
    ids = writer.reserve_ids(table.name, len(rows))
    times: dict[datetime, Any] = {}

    def plain(value: Any) -> Any:
        if isinstance(value, dict | list):
            return orjson.dumps(value).decode()
        if isinstance(value, datetime):
            found = times.get(value)
            if found is None:
                found = times[value] = writer.db_time(value)
            return found
        return value

    try:
        values = [(row_id, *map(plain, row.values())) for row_id, row in zip(ids, rows, strict=True)]
        writer.write_rows(table.name, columns, values)
    finally:
        writer.close()
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    return ids


class DuplicateCheckError(ConflictError):
    """A concurrent request recorded a check of the same content first (the caller retries, and answers with it)."""

    code = "duplicate_check"


def insert_checks(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert checks (column dicts); their ids in the same order. :class:`DuplicateCheckError` if one of them was
    recorded meanwhile by another transaction (the unique idempotency key)."""
    driver_error = session.get_bind().dialect.dbapi.IntegrityError  # type: ignore[union-attr]
    try:
        with session.begin_nested():
            return _insert(session, _checks, rows)
    except (IntegrityError, driver_error):
        raise DuplicateCheckError("the content was checked by a concurrent request") from None


#: A check as :func:`write_checks` takes it: ``(idempotency key, content id, content type, uploader id, uploaded at,
#: url, labels JSON, hashes JSON, matched, actions JSON)`` (JSON already as text).
CheckColumns = tuple[str, str, str, str | None, datetime | None, str | None, str, str, bool, str]

_CHECK_COLUMNS = (
    "id",
    "org_id",
    "idempotency_key",
    "content_id",
    "content_type",
    "uploader_id",
    "uploaded_at",
    "url",
    "labels",
    "hashes",
    "matched",
    "actions",
    "created_at",
)
_CHECK_HASH_COLUMNS = ("id", "check_id", "org_id", "hash_type", "value", "created_at")


def write_checks(
    session: Transaction,
    org_id: int,
    now: datetime,
    rows: list[CheckColumns],
    meanwhile: Callable[[list[int]], None] | None = None,
) -> list[int]:
    """Insert the org's checks made at ``now`` from plain tuples (the columnar path of a batch: no dict per row, no
    per-value conversion; ids drawn in one go). Their ids in the same order; :class:`DuplicateCheckError` if one
    was recorded meanwhile by another transaction (the caller's transaction is then failed: roll it back).
    ``meanwhile(ids)``: the caller's work that needs the ids and not the session, run while the server inserts
    the rows where it can (:meth:`BulkWriter.insert_rows`)."""
    if not rows:
        return _none_written(meanwhile)
    # No savepoint (two more statements for every transaction of single checks): a duplicate leaves the caller's
    # transaction failed, and the caller rolls it back and tries again without the check taken meanwhile.
    writer = BulkWriter(session)
    driver_error = writer.dialect.dbapi.IntegrityError  # type: ignore[union-attr]
    try:
        ids = writer.insert_rows(
            "checks",
            _CHECK_COLUMNS[1:],
            len(rows),
            lambda ids: _check_rows(writer, org_id, now, ids, rows),
            meanwhile,
        )
    except (IntegrityError, driver_error):
        raise DuplicateCheckError("the content was checked by a concurrent request") from None
    finally:
        writer.close()
    return ids


def _none_written(meanwhile: Callable[[list[int]], None] | None) -> list[int]:
    """The ids of no rows written: the caller's ``meanwhile`` work still runs (given no ids)."""
    if meanwhile is not None:
        meanwhile([])
    return []


def _check_rows(
    writer: BulkWriter, org_id: int, now: datetime, ids: Sequence[int | None], rows: list[CheckColumns]
) -> list[tuple[Any, ...]]:
    """The rows of ``checks`` (``_CHECK_COLUMNS``) for :class:`BulkWriter`, made from plain tuples."""
    at = writer.db_time(now)
    to_db = writer.db_time
    return [
        (i, org_id, k, c, t, u, None if ua is None else to_db(ua), url, lj, hj, m, aj, at)
        for i, (k, c, t, u, ua, url, lj, hj, m, aj) in zip(ids, rows, strict=True)
    ]


def folds_key_lookup(session: Transaction, count: int) -> bool:
    """Whether :func:`write_new_checks` can write ``count`` checks (PostgreSQL, a transaction of a few: one
    statement); otherwise the caller looks the keys up first (:func:`existing_checks`) and uses
    :func:`write_checks`."""
    return fits_one_statement(session, count)


def folds_key_lookup_on_postgres(count: int) -> bool:
    """:func:`folds_key_lookup` of a PostgreSQL transaction, asked before opening it."""
    return fits_one_statement_on_postgres(count)


def write_new_checks(session: Transaction, org_id: int, now: datetime, rows: list[CheckColumns]) -> list[int | None]:
    """Insert the org's checks made at ``now`` (as :func:`write_checks`) except those whose idempotency key the org
    has already (checked before, or by a concurrent transaction, which is waited for): their ids in the rows'
    order, ``None`` for a check left out. The key look-up and the insert in one statement (``ON CONFLICT
    (org_id, idempotency_key) DO NOTHING``): only where :func:`folds_key_lookup` holds."""
    if not rows:
        return []
    writer = BulkWriter(session)
    try:
        made = _check_rows(writer, org_id, now, [None] * len(rows), rows)
        ids = writer.insert_new_rows(
            "checks", _CHECK_COLUMNS[1:], made, unique=("org_id", "idempotency_key"), key="idempotency_key"
        )
    finally:
        writer.close()
    return [ids.get(row[0]) for row in rows]


def write_check_hashes(
    session: Transaction,
    org_id: int,
    now: datetime,
    rows: list[tuple[int, str, str]],
    meanwhile: Callable[[list[int]], None] | None = None,
) -> list[int]:
    """Insert the org's check hashes ``(check id, hash type, value)`` made at ``now``; their ids in the same order.
    ``meanwhile`` as :func:`write_checks`'s."""
    if not rows:
        return _none_written(meanwhile)
    writer = BulkWriter(session)
    try:
        at = writer.db_time(now)

        def make(ids: Sequence[int | None]) -> list[tuple[Any, ...]]:
            return [(i, c, org_id, t, v, at) for i, (c, t, v) in zip(ids, rows, strict=True)]

        ids = writer.insert_rows("check_hashes", _CHECK_HASH_COLUMNS[1:], len(rows), make, meanwhile)
    finally:
        writer.close()
    return ids


_MATCH_COLUMNS = (
    "id",
    "check_id",
    "org_id",
    "list_id",
    "entry_id",
    "hash_type",
    "distance",
    "retroactive",
    "details",
    "rule",
    "actions",
    "created_at",
)


def insert_matches(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert matches (dicts of every column but ``id``); sets each row's ``id`` and returns the ids in order.

    Columnar: each row becomes a tuple in one pass (JSON as text, each distinct time converted once), written with
    the checks' own writer; a generic per-value conversion took most of a 5,000-match batch's insert."""
    if not rows:
        return []
    writer = BulkWriter(session)
    try:
        ids = writer.reserve_ids("matches", len(rows))
        times: dict[datetime, Any] = {}
        to_db = writer.db_time
        dumps = orjson.dumps
        values = []
        for row_id, r in zip(ids, rows, strict=True):
            at = r["created_at"]
            db_at = times.get(at)
            if db_at is None:
                db_at = times[at] = to_db(at)
            values.append(
                (
                    row_id,
                    r["check_id"],
                    r["org_id"],
                    r["list_id"],
                    r["entry_id"],
                    r["hash_type"],
                    r["distance"],
                    r["retroactive"],
                    dumps(r["details"]).decode(),
                    r["rule"],
                    dumps(r["actions"]).decode(),
                    db_at,
                )
            )
        writer.write_rows("matches", _MATCH_COLUMNS, values)
    finally:
        writer.close()
    for row, row_id in zip(rows, ids, strict=True):
        row["id"] = row_id
    return ids


#: A new (not retroactive) match as :func:`write_matches` takes it: check id, list id, entry id, hash type,
#: distance, details (JSON text), rule, actions (JSON text).
MatchColumns = tuple[int, int, int, str, int, str, str | None, str]


def write_matches(
    session: Transaction,
    org_id: int,
    now: datetime,
    rows: list[MatchColumns],
    meanwhile: Callable[[list[int]], None] | None = None,
) -> list[int]:
    """Insert the org's new matches made at ``now`` from plain tuples (the columnar path of a batch, as
    :func:`write_checks`: JSON already text, one time); their ids in the same order. ``meanwhile`` as
    :func:`write_checks`'s."""
    if not rows:
        return _none_written(meanwhile)
    writer = BulkWriter(session)
    try:
        at = writer.db_time(now)

        def make(ids: Sequence[int | None]) -> list[tuple[Any, ...]]:
            return [
                (i, c, org_id, lst, e, t, dist, False, dj, rule, aj, at)
                for i, (c, lst, e, t, dist, dj, rule, aj) in zip(ids, rows, strict=True)
            ]

        ids = writer.insert_rows("matches", _MATCH_COLUMNS[1:], len(rows), make, meanwhile)
    finally:
        writer.close()
    return ids


def insert_check_hashes(session: Session, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the fixed-width hashes of checks; their ids in the same order."""
    return _insert(session, _check_hashes, rows)


def set_outcome(session: Session, check_id: int, actions: list[str]) -> None:
    """A check matched (again, retroactively): it is matched and carries ``actions`` from now on."""
    session.execute(update(ContentCheck).where(ContentCheck.id == check_id).values(matched=True, actions=actions))


def checks_by_id(session: Session, check_ids: Iterable[int], *, lock: bool = False) -> dict[int, ContentCheck]:
    """Checks by id (any org: callers filter by org first). With ``lock``, the rows are locked until the transaction
    ends (PostgreSQL ``FOR NO KEY UPDATE``, in id order; SQLite's writer holds the database anyway): what a writer
    of rows pointing at old checks (a retroactive match, its review item) takes first, since PostgreSQL has no
    foreign keys on these tables (migration 0016) and the retention purge must not delete such a check meanwhile;
    a check deleted before the lock was granted is left out."""
    out: dict[int, ContentCheck] = {}
    for part in chunked(sorted(set(check_ids)) if lock else check_ids):
        stmt = select(ContentCheck).where(ContentCheck.id.in_(part))
        if lock:
            stmt = stmt.order_by(ContentCheck.id).with_for_update(key_share=True)
        out.update({c.id: c for c in session.scalars(stmt)})
    return out


def get_check(session: Session, org_id: int, check_id: int) -> ContentCheck:
    """One of the org's checks; another org's answers as absent."""
    found = session.scalar(select(ContentCheck).where(ContentCheck.id == check_id, ContentCheck.org_id == org_id))
    if found is None:
        raise NotFoundError(f"no check {check_id}")
    return found


def matches_of(session: Session, check_ids: Iterable[int]) -> dict[int, list[ContentMatch]]:
    """The matches of these checks, by check, in id order."""
    out: dict[int, list[ContentMatch]] = {}
    for part in chunked(check_ids):
        stmt = select(ContentMatch).where(ContentMatch.check_id.in_(part)).order_by(ContentMatch.id)
        for m in session.scalars(stmt):
            out.setdefault(m.check_id, []).append(m)
    return out


def matched_pairs(session: Session, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which ``(check id, entry id)`` pairs already have a match (a retroactive match is made once)."""
    wanted = list(set(pairs))
    out: set[tuple[int, int]] = set()
    for start in range(0, len(wanted), 2000):
        stmt = select(ContentMatch.check_id, ContentMatch.entry_id).where(
            tuple_(ContentMatch.check_id, ContentMatch.entry_id).in_(wanted[start : start + 2000])
        )
        out.update((c, e) for c, e in session.execute(stmt))
    return out


def check_hashes_by_value(
    session: Session, hash_type: str, values: list[str], since: datetime
) -> list[tuple[int, int, int, str]]:
    """``(check hash id, check id, org id, value)`` of check hashes of this type with one of ``values``, from checks
    made since ``since`` (the retention cut-off). Only for the types matched by value: the near-match types' rows
    are not in the value index (migration 0017; they are found through the in-memory index, by id)."""
    if hash_type in near_match_types():
        raise ValueError(f"check hashes of type {hash_type} are matched by the in-memory index, not by value")
    out: list[tuple[int, int, int, str]] = []
    for start in range(0, len(values), 5000):
        stmt = select(CheckHash.id, CheckHash.check_id, CheckHash.org_id, CheckHash.value).where(
            CheckHash.hash_type == hash_type,
            # The partial index's own condition, term for term: SQLite uses the index only so.
            text(check_hash_value_indexed()),
            CheckHash.value.in_(values[start : start + 5000]),
            CheckHash.created_at >= since,
        )
        out.extend((int(a), int(b), int(c), str(d)) for a, b, c, d in session.execute(stmt))
    return out


def check_hashes_by_id(session: Session, ids: Iterable[int], since: datetime) -> dict[int, tuple[int, int, str]]:
    """``{check hash id: (check id, org id, value)}`` of these check hashes still kept and made since ``since``."""
    out: dict[int, tuple[int, int, str]] = {}
    for part in chunked(ids):
        stmt = select(CheckHash.id, CheckHash.check_id, CheckHash.org_id, CheckHash.value).where(
            CheckHash.id.in_(part), CheckHash.created_at >= since
        )
        out.update({int(i): (int(c), int(o), str(v)) for i, c, o, v in session.execute(stmt)})
    return out


def check_hash_columns(
    session: Session, hash_type: str, since: datetime, batch: int = 100_000
) -> Iterator[tuple[list[int], list[str]]]:
    """Check hashes of this type made since ``since`` as columns ``(ids, values)``, in batches, in one streamed
    pass (no order: the caller sorts). Paging by ``id > last ORDER BY id LIMIT n`` let SQLite pick the
    ``created_at`` index and sort every remaining row for each page: 40 s per million at start, 450 s at 3 M."""
    stmt = (
        select(CheckHash.id, CheckHash.value)
        .where(CheckHash.hash_type == hash_type, CheckHash.created_at >= since)
        .execution_options(yield_per=batch)
    )
    for part in session.execute(stmt).partitions(batch):
        yield [r[0] for r in part], [r[1] for r in part]


def purge_before(session: Session, cutoff: datetime, limit: int = 10_000) -> tuple[int, list[tuple[int, str]]]:
    """Delete up to ``limit`` checks made before ``cutoff`` with their matches and hashes, except checks a review
    item refers to (the reviewer needs them; their hashes go). Returns how many checks went and the ``(id, hash
    type)`` of every check hash deleted (for the in-memory index to forget)."""
    gone_hashes = [
        (int(i), str(t))
        for i, t in session.execute(
            select(CheckHash.id, CheckHash.hash_type)
            .where(CheckHash.created_at < cutoff)
            .order_by(CheckHash.id)
            .limit(limit)
        )
    ]
    for part in chunked([i for i, _ in gone_hashes]):
        session.execute(delete(CheckHash).where(CheckHash.id.in_(part)))
    reviewed = exists().where(ReviewItem.check_id == ContentCheck.id)
    quarantined = exists().where(QuarantineFile.check_id == ContentCheck.id)
    # Locked (PostgreSQL; SQLite's writer holds the database), skipping a check a retroactive match holds (it goes
    # in a later round); once locked, no new match or review item can point at them (store/checks.py
    # checks_by_id(lock=True)), and the review items and quarantine files are read again: one committed after this
    # statement's snapshot but before the lock would not be seen by the query above. On PostgreSQL no foreign key
    # refuses the delete of a check something points at (migration 0016), so this is what keeps none dangling.
    check_ids = list(
        session.scalars(
            select(ContentCheck.id)
            .where(ContentCheck.created_at < cutoff, ~reviewed, ~quarantined)
            .order_by(ContentCheck.id)
            .limit(limit)
            .with_for_update(of=ContentCheck, skip_locked=True)
        )
    )
    kept: set[int] = set()
    for part in chunked(check_ids):
        kept.update(session.scalars(select(ReviewItem.check_id).where(ReviewItem.check_id.in_(part))))
        kept.update(session.scalars(select(QuarantineFile.check_id).where(QuarantineFile.check_id.in_(part))))
    if kept:
        check_ids = [i for i in check_ids if i not in kept]
    for part in chunked(check_ids):
        session.execute(delete(CheckHash).where(CheckHash.check_id.in_(part)))
        session.execute(delete(ContentMatch).where(ContentMatch.check_id.in_(part)))
        session.execute(delete(ContentCheck).where(ContentCheck.id.in_(part)))
    return len(check_ids), gone_hashes


def check_count(session: Session) -> int:
    """Checks kept."""
    return int(session.scalar(select(func.count()).select_from(ContentCheck)) or 0)


def outbox_stats(session: Session) -> tuple[dict[str, int], datetime | None]:
    """Outbox events by state, and when the oldest undelivered one was written (None: none is waiting)."""
    counts = {
        str(s): int(n) for s, n in session.execute(select(OutboxEvent.state, func.count()).group_by(OutboxEvent.state))
    }
    oldest = session.scalar(
        select(func.min(OutboxEvent.created_at)).where(or_(OutboxEvent.state == OutboxState.PENDING.value))
    )
    return counts, oldest

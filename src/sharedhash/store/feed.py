"""The per-list change feed: dense ``seq`` numbers, opaque cursors, and pages in a stable total order.

A list's ``seq`` is bumped by an UPDATE of its own row inside the writing transaction, so writers of one list
commit in ``seq`` order (PostgreSQL holds the row lock until commit; SQLite has one writer at a time). A reader
that has seen ``seq`` n can therefore never later find a committed change numbered below n.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sharedhash.hub_errors import InvalidCursorError
from sharedhash.store.models import (
    Change,
    ChangeKind,
    Feedback,
    FeedReader,
    HashList,
    ListShare,
    OrgSuspension,
    Visibility,
    utcnow,
)
from sharedhash.store.sqlhelpers import insert_rows
from sharedhash.store.textsafe import clean_json_text


def encode_cursor(list_id: int, seq: int) -> str:
    """An opaque cursor meaning "after change ``seq`` of list ``list_id``"."""
    return base64.urlsafe_b64encode(f"v1.{list_id}.{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, hash_list: HashList) -> int:
    """The ``seq`` a cursor stands for; None means the beginning. Foreign or damaged cursors raise."""
    if cursor is None or cursor == "":
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        mark, list_part, seq_part = text.split(".")
        list_id, seq = int(list_part), int(seq_part)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidCursorError("the cursor is not one this hub hands out") from None
    if mark != "v1" or list_id != hash_list.id or not 0 <= seq <= hash_list.last_seq:
        raise InvalidCursorError("the cursor does not belong to this list")
    return seq


def record_changes(
    session: Session, list_id: int, changes: Sequence[tuple[ChangeKind, int, dict[str, Any] | None]]
) -> int:
    """Append ``(kind, entry_id, snapshot)`` changes to a list's feed; return the last ``seq`` used."""
    if not changes:
        return 0
    last = session.execute(
        update(HashList)
        .where(HashList.id == list_id)
        .values(last_seq=HashList.last_seq + len(changes))
        .returning(HashList.last_seq)
    ).scalar_one()
    first = last - len(changes) + 1
    now = utcnow()
    insert_rows(
        session,
        cast(Table, Change.__table__),
        [
            {
                "list_id": list_id,
                "seq": first + i,
                "kind": kind.value,
                "entry_id": entry_id,
                "entry": snap,
                "created_at": now,
            }
            for i, (kind, entry_id, snap) in enumerate(changes)
        ],
    )
    return int(last)


@dataclass(frozen=True, slots=True)
class FeedPage:
    """One page of a feed: the changes, the cursor to continue from, and whether more changes exist now."""

    changes: list[Change]
    next_cursor: str
    has_more: bool
    last_seq: int


def read_feed(session: Session, hash_list: HashList, after: str | None, limit: int) -> FeedPage:
    """Changes of ``hash_list`` after the cursor, oldest first, at most ``limit`` of them."""
    start = decode_cursor(after, hash_list)
    rows = list(
        session.scalars(
            select(Change).where(Change.list_id == hash_list.id, Change.seq > start).order_by(Change.seq).limit(limit)
        )
    )
    end = rows[-1].seq if rows else start
    return FeedPage(
        changes=rows,
        next_cursor=encode_cursor(hash_list.id, end),
        has_more=end < hash_list.last_seq,
        last_seq=hash_list.last_seq,
    )


def _iso_time(value: Any) -> str:
    """A stored timestamp as ISO 8601 UTC (SQLite gives SQLAlchemy's text form, PostgreSQL a datetime)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return str(value).replace(" ", "T") + "Z"


def read_feed_json(
    session: Session, hash_list: HashList, after: str | None, limit: int, *, org_id: int | None = None
) -> bytes:
    """:func:`read_feed` as the finished JSON body of the feed route (the ``FeedPageOut`` shape).

    ``your_feedback`` holds ``org_id``'s own verdicts on the page's entries (as they are now), so a node follows
    its org's verdicts given on the hub: a dispute hides the entry for the org on its node too.

    The stored snapshots are JSON already: they are copied into the body as text, never parsed and re-encoded,
    which makes the feed as fast to serve as the database can read it.
    """
    start = decode_cursor(after, hash_list)
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if session.get_bind().dialect.name == "postgresql":
            cursor.execute(
                "SELECT seq, kind, entry_id, entry::text, created_at FROM changes"
                " WHERE list_id = %s AND seq > %s ORDER BY seq LIMIT %s",
                (hash_list.id, start, limit),
            )
        else:
            cursor.execute(
                "SELECT seq, kind, entry_id, entry, created_at FROM changes"
                " WHERE list_id = ? AND seq > ? ORDER BY seq LIMIT ?",
                (hash_list.id, start, limit),
            )
        rows = cursor.fetchall()
    finally:
        cursor.close()
    times: dict[Any, str] = {}
    parts = []
    for seq, kind, entry_id, entry, created_at in rows:
        when = times.get(created_at)
        if when is None:
            when = times[created_at] = _iso_time(created_at)
        parts.append(
            f'{{"seq":{int(seq)},"kind":"{ChangeKind(kind).value}","entry_id":{int(entry_id)},'
            f'"entry":{clean_json_text(entry) if entry is not None else "null"},"time":"{when}"}}'
        )
    end = int(rows[-1][0]) if rows else start
    more = "true" if end < hash_list.last_seq else "false"
    yours = _own_verdicts_json(session, org_id, {int(r[2]) for r in rows}) if org_id is not None else "{}"
    body = (
        f'{{"list_id":{hash_list.id},"changes":[{",".join(parts)}],'
        f'"next_cursor":"{encode_cursor(hash_list.id, end)}","has_more":{more},"last_seq":{hash_list.last_seq},'
        f'"your_feedback":{yours}}}'
    )
    return body.encode()


def _own_verdicts_json(session: Session, org_id: int, entry_ids: set[int]) -> str:
    """``{"<entry id>": {"verdict", "reason", "note"}}`` of the org's verdicts on these entries, as JSON text."""
    if not entry_ids:
        return "{}"
    found: dict[str, dict[str, str]] = {}
    ids = sorted(entry_ids)
    for start in range(0, len(ids), 5000):
        stmt = select(Feedback.entry_id, Feedback.verdict, Feedback.reason, Feedback.note).where(
            Feedback.org_id == org_id, Feedback.entry_id.in_(ids[start : start + 5000])
        )
        for entry_id, verdict, reason, note in session.execute(stmt):
            found[str(entry_id)] = {"verdict": verdict, "reason": reason, "note": note}
    return json.dumps(found, separators=(",", ":"))


def changed_entries_since(session: Session, list_id: int, after_seq: int) -> tuple[set[int], int]:
    """Ids of entries changed in a list after ``after_seq``, and the newest ``seq`` seen."""
    rows = session.execute(
        select(Change.entry_id, Change.seq).where(Change.list_id == list_id, Change.seq > after_seq)
    ).all()
    return {r[0] for r in rows}, max((r[1] for r in rows), default=after_seq)


def is_feed_reader(session: Session, list_id: int, org_id: int) -> bool:
    """Whether ``org_id`` has read the feed of list ``list_id`` before."""
    return session.get(FeedReader, (list_id, org_id)) is not None


def note_feed_reader(session: Session, list_id: int, org_id: int) -> None:
    """Remember that ``org_id`` read the feed of list ``list_id`` (once; concurrent readers are harmless)."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(FeedReader)
        .values(list_id=list_id, org_id=org_id, first_read_at=utcnow())
        .on_conflict_do_nothing(index_elements=["list_id", "org_id"])
    )


#: Why a feed reader's access ended, as the ``reason`` of an ``access_lost`` answer.
LOST_REASONS = ("list_deleted", "owner_suspended", "share_removed", "visibility_narrowed")


def lost_access_reason(session: Session, list_id: int, org_id: int) -> str | None:
    """If ``org_id`` read the feed of list ``list_id`` before and may not read it now, why (one of
    :data:`LOST_REASONS`); None if it never read it (it is told nothing about the list, as anyone else)."""
    if not is_feed_reader(session, list_id, org_id):
        return None
    hash_list = session.get(HashList, list_id)
    if hash_list is None:
        return None
    if hash_list.deleted_at is not None:
        return "list_deleted"
    suspended = session.scalar(
        select(OrgSuspension.id).where(
            OrgSuspension.org_id == hash_list.owner_org_id, OrgSuspension.reinstated_at.is_(None)
        )
    )
    if suspended is not None:
        return "owner_suspended"
    if hash_list.visibility == Visibility.SHARED.value:
        shared = session.get(ListShare, (list_id, org_id))
        if shared is None:
            return "share_removed"
    return "visibility_narrowed"

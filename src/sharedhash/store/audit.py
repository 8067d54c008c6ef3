"""The append-only audit log: who did what, when, with counts; hash values appear at most as an 8-char prefix."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, cast

from sqlalchemy import Table, select
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from sharedhash.store.db import DriverTransaction, Transaction
from sharedhash.store.models import AuditEvent, utcnow
from sharedhash.store.visibility import Caller

PREFIX_CHARS = 8


def hash_prefix(value: str) -> str:
    """The most of a hash value the audit log or a log line may show."""
    return value[:PREFIX_CHARS]


def record(
    session: Session,
    caller: Caller | None,
    action: str,
    *,
    target: str = "",
    count: int = 0,
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event. ``detail`` must never hold a full hash value (use :func:`hash_prefix`)."""
    session.add(
        AuditEvent(
            org_id=caller.org_id if caller else None,
            key_id=caller.key_id if caller else None,
            action=action,
            target=target[:200],
            count=count,
            detail=detail or {},
        )
    )


def record_many(session: Transaction, events: Sequence[tuple[Caller | None, str, int, dict[str, Any]]]) -> None:
    """Append many ``(caller, action, count, detail)`` events in one statement (the buffered lookup log, a group
    commit of content checks), on the transaction's DBAPI connection: the values converted by the columns' own
    SQLAlchemy types as a Core insert converts them (the same stored values), without its statement handling,
    which cost a tenth of the group commit thread's time."""
    if not events:
        return
    if isinstance(session, DriverTransaction):
        dialect, dbapi = session.dialect, session.dbapi
    else:
        connection = session.connection()
        dialect, dbapi = connection.dialect, connection.connection.dbapi_connection
    sql, detail_of, time_of = _insert_of(dialect)
    at = time_of(utcnow())
    rows = [
        (
            caller.org_id if caller else None,
            caller.key_id if caller else None,
            action,
            "",
            count,
            detail_of(detail),
            at,
        )
        for caller, action, count, detail in events
    ]
    cursor = dbapi.cursor()
    try:
        if len(rows) == 1:
            cursor.execute(sql, rows[0])
        else:
            cursor.executemany(sql, rows)
    finally:
        cursor.close()


#: Per SQL dialect (by name and driver): the audit insert's SQL and the detail's and time's conversions.
_INSERTS: dict[tuple[str, str], tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = {}


def _insert_of(dialect: Dialect) -> tuple[str, Callable[[Any], Any], Callable[[Any], Any]]:
    key = (dialect.name, dialect.driver)
    found = _INSERTS.get(key)
    if found is None:
        table = cast(Table, AuditEvent.__table__)

        def processor(column: str) -> Callable[[Any], Any]:
            process = table.c[column].type.dialect_impl(dialect).bind_processor(dialect)
            return process if process is not None else (lambda value: value)

        mark = "%s" if dialect.name == "postgresql" else "?"
        columns = ("org_id", "key_id", "action", "target", "count", "detail", "created_at")
        sql = f"INSERT INTO audit_events ({', '.join(columns)}) VALUES ({', '.join(mark for _ in columns)})"
        found = _INSERTS[key] = (sql, processor("detail"), processor("created_at"))
    return found


def list_events(session: Session, caller: Caller, *, before: int | None, limit: int) -> list[AuditEvent]:
    """The caller's org's events, newest first, optionally only those with id below ``before``."""
    stmt = select(AuditEvent).where(AuditEvent.org_id == caller.org_id)
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    return list(session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit)))

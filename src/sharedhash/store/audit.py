"""The append-only audit log: who did what, when, with counts; hash values appear at most as an 8-char prefix."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

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


def record_many(session: Session, events: Sequence[tuple[Caller | None, str, int, dict[str, Any]]]) -> None:
    """Append many ``(caller, action, count, detail)`` events in one statement (the buffered lookup log)."""
    if not events:
        return
    now = utcnow()
    rows = [
        {
            "org_id": caller.org_id if caller else None,
            "key_id": caller.key_id if caller else None,
            "action": action,
            "target": "",
            "count": count,
            "detail": detail,
            "created_at": now,
        }
        for caller, action, count, detail in events
    ]
    session.connection().execute(insert(AuditEvent), rows)


def list_events(session: Session, caller: Caller, *, before: int | None, limit: int) -> list[AuditEvent]:
    """The caller's org's events, newest first, optionally only those with id below ``before``."""
    stmt = select(AuditEvent).where(AuditEvent.org_id == caller.org_id)
    if before is not None:
        stmt = stmt.where(AuditEvent.id < before)
    return list(session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit)))

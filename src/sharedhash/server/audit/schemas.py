"""Request and response bodies of the audit endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from sharedhash.store.models import AuditEvent


class AuditEventOut(BaseModel):
    """One audit event."""

    id: int
    action: str
    target: str
    count: int
    key_id: int | None
    detail: dict[str, Any]
    time: datetime

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        """From the model."""
        return cls(
            id=event.id,
            action=event.action,
            target=event.target,
            count=event.count,
            key_id=event.key_id,
            detail=event.detail,
            time=event.created_at,
        )

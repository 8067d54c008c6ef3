"""The event outbox: webhook events written in the same transaction as the match or decision that caused them.

Writers (the act and review services) call :func:`add_event` inside their own transaction, so an event exists
exactly when its cause does; the delivery worker (server/webhooks) reads and updates the rows afterwards.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sharedhash.store.models import OutboxEvent, WebhookEndpoint


def endpoint_by_name(session: Session, org_id: int, name: str) -> WebhookEndpoint | None:
    """The org's live endpoint of that name, or None (another org's endpoints are never found)."""
    return session.scalar(
        select(WebhookEndpoint).where(
            WebhookEndpoint.org_id == org_id,
            WebhookEndpoint.name == name,
            WebhookEndpoint.deleted_at.is_(None),
        )
    )


def add_event(
    session: Session,
    *,
    org_id: int,
    endpoint_id: int,
    event_type: str,
    ordering_key: str,
    payload: dict[str, Any],
) -> OutboxEvent:
    """Queue one event for delivery in the caller's transaction; its `webhook-id` is fixed now, for every attempt."""
    event = OutboxEvent(
        org_id=org_id,
        endpoint_id=endpoint_id,
        webhook_id=f"msg_{secrets.token_hex(16)}",
        event_type=event_type,
        ordering_key=ordering_key,
        payload=payload,
    )
    session.add(event)
    session.flush()
    return event

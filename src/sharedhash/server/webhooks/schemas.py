"""Request and response bodies of the webhooks endpoints: never a stored secret (a new one is shown once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from sharedhash.server.schemas import Strict
from sharedhash.server.webhooks.urls import MAX_URL_CHARS
from sharedhash.store.models import OutboxEvent, WebhookAttempt, WebhookEndpoint, utcnow

#: An endpoint's name: what the action rules refer to it by.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
#: The longest overlap of a secret rotation (both secrets valid): 30 days.
MAX_OVERLAP_SECONDS = 30 * 24 * 3600


class WebhookEndpointCreate(Strict):
    """A new endpoint: a name (what the action rules refer to) and an https URL."""

    name: str = Field(min_length=1, max_length=100, pattern=NAME_PATTERN)
    url: str = Field(min_length=1, max_length=MAX_URL_CHARS, description="https://... (see docs/webhooks.md).")


class WebhookSecretRotate(Strict):
    """A secret rotation: for ``overlap_seconds`` events carry signatures with the old and the new secret."""

    overlap_seconds: int = Field(default=24 * 3600, ge=0, le=MAX_OVERLAP_SECONDS)


class WebhookEventCounts(BaseModel):
    """How many of an endpoint's events are waiting, delivered and dead."""

    pending: int = 0
    delivered: int = 0
    dead: int = 0


class WebhookEndpointOut(BaseModel):
    """A webhook endpoint (never its secret)."""

    id: int
    name: str
    url: str
    paused: bool
    created_at: datetime
    previous_secret_until: datetime | None = Field(
        description="While a rotated-out secret still signs events (both signatures are sent), until when."
    )
    events: WebhookEventCounts

    @classmethod
    def of(cls, endpoint: WebhookEndpoint, counts: dict[str, int]) -> WebhookEndpointOut:
        """From the model and its event counts."""
        until = endpoint.previous_secret_until
        return cls(
            id=endpoint.id,
            name=endpoint.name,
            url=endpoint.url,
            paused=endpoint.paused,
            created_at=endpoint.created_at,
            previous_secret_until=until if until is not None and until > utcnow() else None,
            events=WebhookEventCounts.model_validate(counts),
        )


class WebhookEndpointSecretOut(WebhookEndpointOut):
    """An endpoint with its new signing secret (``whsec_...``), shown this once."""

    secret: str


class WebhookEventOut(BaseModel):
    """One outbox event of an endpoint and where its delivery is."""

    id: int
    webhook_id: str = Field(description="The `webhook-id` header: the same for every attempt and redelivery.")
    event_type: str
    ordering_key: str = Field(description="Events with one key (the content id) are delivered in order.")
    state: str = Field(description="pending, delivered or dead.")
    attempts: int = Field(description="Attempts since the event was written or last redelivered.")
    next_attempt_at: datetime | None = Field(description="When a pending event is tried next.")
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, event: OutboxEvent) -> WebhookEventOut:
        """From the model."""
        return cls(
            id=event.id,
            webhook_id=event.webhook_id,
            event_type=event.event_type,
            ordering_key=event.ordering_key,
            state=event.state,
            attempts=event.attempts,
            next_attempt_at=event.next_attempt_at if event.state == "pending" else None,
            created_at=event.created_at,
            finished_at=event.finished_at,
        )


class WebhookAttemptOut(BaseModel):
    """One delivery attempt."""

    id: int
    started_at: datetime
    outcome: str = Field(description="delivered, failed, timeout, unreachable or blocked.")
    latency_ms: float
    status_code: int | None
    response: str | None = Field(description="The first KiB of the receiver's answer.")
    error: str | None

    @classmethod
    def of(cls, attempt: WebhookAttempt) -> WebhookAttemptOut:
        """From the model."""
        return cls(
            id=attempt.id,
            started_at=attempt.started_at,
            outcome=attempt.outcome,
            latency_ms=attempt.latency_ms,
            status_code=attempt.status_code,
            response=attempt.response,
            error=attempt.error,
        )


class WebhookEventDetailOut(WebhookEventOut):
    """One event with its payload (the envelope's ``data``) and every attempt."""

    payload: dict[str, Any]
    attempt_log: list[WebhookAttemptOut]


class WebhookRedeliveredOut(BaseModel):
    """How many events were queued again."""

    redelivered: int

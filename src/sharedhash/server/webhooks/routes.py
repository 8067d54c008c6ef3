"""``/v1/webhooks``: an org admin manages the org's webhook endpoints (create, pause, rotate the secret, remove)
and their deliveries (list, inspect attempts, redeliver); readers list and inspect. Another org's endpoint or
event ids answer 404, like ids that do not exist."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, status

from sharedhash.limits import MAX_ID
from sharedhash.server.deps import Admin, IdPath, Reader, State
from sharedhash.server.webhooks import service
from sharedhash.server.webhooks.schemas import (
    WebhookAttemptOut,
    WebhookEndpointCreate,
    WebhookEndpointOut,
    WebhookEndpointSecretOut,
    WebhookEventDetailOut,
    WebhookEventOut,
    WebhookRedeliveredOut,
    WebhookSecretRotate,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


def _out(view: service.EndpointView) -> WebhookEndpointOut:
    return WebhookEndpointOut.of(view.endpoint, view.counts)


def _secret_out(made: service.NewSecret) -> WebhookEndpointSecretOut:
    return WebhookEndpointSecretOut(**_out(made.view).model_dump(), secret=made.secret)


@router.get("", response_model=list[WebhookEndpointOut], summary="The org's webhook endpoints")
def endpoints(state: State, caller: Reader) -> list[WebhookEndpointOut]:
    """Every live endpoint of the caller's org, with its event counts (never a secret)."""
    return [_out(v) for v in service.endpoints(state, caller)]


@router.post(
    "", response_model=WebhookEndpointSecretOut, status_code=status.HTTP_201_CREATED, summary="Add an endpoint"
)
def create(body: WebhookEndpointCreate, state: State, caller: Admin) -> WebhookEndpointSecretOut:
    """A new endpoint; the answer holds its signing secret (`whsec_...`), shown this once."""
    return _secret_out(service.create_endpoint(state, caller, body.name, body.url))


@router.get("/{endpoint_id}", response_model=WebhookEndpointOut, summary="One endpoint")
def one(endpoint_id: IdPath, state: State, caller: Reader) -> WebhookEndpointOut:
    """One endpoint of the caller's org, with its event counts."""
    return _out(service.endpoint(state, caller, endpoint_id))


@router.delete("/{endpoint_id}", response_model=WebhookEndpointOut, summary="Remove an endpoint")
def remove(endpoint_id: IdPath, state: State, caller: Admin) -> WebhookEndpointOut:
    """Remove an endpoint; its pending events are marked dead (kept, with their attempts)."""
    return _out(service.remove_endpoint(state, caller, endpoint_id))


@router.post("/{endpoint_id}/pause", response_model=WebhookEndpointOut, summary="Pause an endpoint")
def pause(endpoint_id: IdPath, state: State, caller: Admin) -> WebhookEndpointOut:
    """Hold the endpoint's events (in order) until it is resumed."""
    return _out(service.set_paused(state, caller, endpoint_id, True))


@router.post("/{endpoint_id}/resume", response_model=WebhookEndpointOut, summary="Resume an endpoint")
def resume(endpoint_id: IdPath, state: State, caller: Admin) -> WebhookEndpointOut:
    """Send the endpoint's events again, the held ones first."""
    return _out(service.set_paused(state, caller, endpoint_id, False))


@router.post(
    "/{endpoint_id}/rotate-secret", response_model=WebhookEndpointSecretOut, summary="Rotate the signing secret"
)
def rotate_secret(
    endpoint_id: IdPath, body: WebhookSecretRotate, state: State, caller: Admin
) -> WebhookEndpointSecretOut:
    """A new secret (shown this once); during the overlap, events carry signatures with both secrets."""
    return _secret_out(service.rotate_secret(state, caller, endpoint_id, body.overlap_seconds))


@router.get("/{endpoint_id}/events", response_model=list[WebhookEventOut], summary="The endpoint's deliveries")
def events(
    endpoint_id: IdPath,
    state: State,
    caller: Reader,
    event_state: Annotated[
        Literal["pending", "delivered", "dead"] | None, Query(alias="state", description="Only events in this state.")
    ] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID, description="Only events with a smaller id.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[WebhookEventOut]:
    """The endpoint's events, newest first; page with `before` (the last id of the previous page)."""
    found = service.events(state, caller, endpoint_id, event_state=event_state, before=before, limit=limit)
    return [WebhookEventOut.of(e) for e in found]


@router.get("/{endpoint_id}/events/{event_id}", response_model=WebhookEventDetailOut, summary="One delivery")
def event(endpoint_id: IdPath, event_id: IdPath, state: State, caller: Reader) -> WebhookEventDetailOut:
    """One event with its payload and every attempt (outcome, latency, status code, first KiB of the answer)."""
    found, attempts = service.event(state, caller, endpoint_id, event_id)
    return WebhookEventDetailOut(
        **WebhookEventOut.of(found).model_dump(),
        payload=found.payload,
        attempt_log=[WebhookAttemptOut.of(a) for a in attempts],
    )


@router.post("/{endpoint_id}/events/{event_id}/redeliver", response_model=WebhookEventOut, summary="Redeliver an event")
def redeliver(endpoint_id: IdPath, event_id: IdPath, state: State, caller: Admin) -> WebhookEventOut:
    """Send a delivered or dead event again, with the same `webhook-id`; 409 `event_pending` if it still waits."""
    return WebhookEventOut.of(service.redeliver(state, caller, endpoint_id, event_id))


@router.post("/{endpoint_id}/redeliver", response_model=WebhookRedeliveredOut, summary="Redeliver every dead event")
def redeliver_dead(endpoint_id: IdPath, state: State, caller: Admin) -> WebhookRedeliveredOut:
    """Send every dead event of the endpoint again (each with its own `webhook-id`)."""
    return WebhookRedeliveredOut(redelivered=service.redeliver_dead(state, caller, endpoint_id))

"""Webhook endpoints and their events: what the endpoints (and the CLI) do, each write in one transaction with
its audit record, and the delivery worker's two transactions (claim a batch, record the attempts). Queries are in
:mod:`sharedhash.store.outbox`."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sharedhash.server.state import HubState
from sharedhash.server.webhooks.signing import new_secret
from sharedhash.server.webhooks.urls import validate_url
from sharedhash.settings import Settings
from sharedhash.store import audit
from sharedhash.store import outbox as store
from sharedhash.store.db import Database
from sharedhash.store.models import OutboxEvent, WebhookAttempt, WebhookEndpoint, utcnow
from sharedhash.store.secretbox import SecretBox
from sharedhash.store.visibility import Caller


@dataclass(frozen=True, slots=True)
class EndpointView:
    """An endpoint with how many of its events are pending, delivered and dead."""

    endpoint: WebhookEndpoint
    counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class NewSecret:
    """An endpoint and its new signing secret (shown this once)."""

    view: EndpointView
    secret: str


def _box(state: HubState) -> SecretBox:
    return SecretBox.from_settings(state.settings)


def create_endpoint(state: HubState, caller: Caller, name: str, url: str) -> NewSecret:
    """A new endpoint of the caller's org: its URL is checked (form and resolved addresses) and a secret made."""
    validate_url(url, state.settings)
    secret = new_secret()
    sealed = _box(state).seal(secret)
    with state.db.writing() as session:
        endpoint = store.create_endpoint(session, org_id=caller.org_id, name=name, url=url, sealed_secret=sealed)
        audit.record(session, caller, "webhook.create", target=name, detail={"endpoint": endpoint.id})
        counts = store.event_counts(session, endpoint.id)
    return NewSecret(EndpointView(endpoint, counts), secret)


def endpoints(state: HubState, caller: Caller) -> list[EndpointView]:
    """The caller's org's endpoints with their event counts."""
    with state.db.reading() as session:
        return [EndpointView(e, store.event_counts(session, e.id)) for e in store.endpoints(session, caller.org_id)]


def endpoint(state: HubState, caller: Caller, endpoint_id: int) -> EndpointView:
    """One endpoint of the caller's org; any other id is not found."""
    with state.db.reading() as session:
        found = store.endpoint(session, caller.org_id, endpoint_id)
        return EndpointView(found, store.event_counts(session, found.id))


def remove_endpoint(state: HubState, caller: Caller, endpoint_id: int) -> EndpointView:
    """Remove an endpoint; its pending events are marked dead (kept, with their attempts)."""
    with state.db.writing() as session:
        found = store.endpoint(session, caller.org_id, endpoint_id)
        name = found.name
        ended = store.remove_endpoint(session, found, utcnow())
        audit.record(session, caller, "webhook.remove", target=name, count=ended, detail={"endpoint": endpoint_id})
        counts = store.event_counts(session, found.id)
    found.name = name
    return EndpointView(found, counts)


def set_paused(state: HubState, caller: Caller, endpoint_id: int, paused: bool) -> EndpointView:
    """Pause an endpoint (its events wait, in order) or resume it: its held events, and those waiting for a retry
    (the receiver is back), are due at once."""
    with state.db.writing() as session:
        found = store.endpoint(session, caller.org_id, endpoint_id)
        was_paused = found.paused
        found.paused = paused
        session.flush()
        # Retries are woken only on a resume: an event still in flight from before the pause may go out twice then
        # (with its one webhook-id, which receivers deduplicate on).
        woken = store.due_now(session, found.id, utcnow()) if was_paused and not paused else 0
        action = "webhook.pause" if paused else "webhook.resume"
        audit.record(session, caller, action, target=found.name, count=woken, detail={"endpoint": endpoint_id})
        counts = store.event_counts(session, found.id)
    return EndpointView(found, counts)


def rotate_secret(state: HubState, caller: Caller, endpoint_id: int, overlap_seconds: int) -> NewSecret:
    """A new signing secret; for ``overlap_seconds`` events carry signatures with both, the new one first."""
    secret = new_secret()
    sealed = _box(state).seal(secret)
    with state.db.writing() as session:
        found = store.endpoint(session, caller.org_id, endpoint_id)
        now = utcnow()
        if overlap_seconds > 0:
            found.previous_secret = found.secret
            found.previous_secret_until = now + timedelta(seconds=overlap_seconds)
        else:
            found.previous_secret = None
            found.previous_secret_until = None
        found.secret = sealed
        session.flush()
        detail = {"endpoint": endpoint_id, "overlap_seconds": overlap_seconds}
        audit.record(session, caller, "webhook.rotate_secret", target=found.name, detail=detail)
        counts = store.event_counts(session, found.id)
    return NewSecret(EndpointView(found, counts), secret)


def events(
    state: HubState, caller: Caller, endpoint_id: int, *, event_state: str | None, before: int | None, limit: int
) -> list[OutboxEvent]:
    """The endpoint's events (deliveries), newest first."""
    with state.db.reading() as session:
        found = store.endpoint(session, caller.org_id, endpoint_id)
        return store.events(session, found.id, state=event_state, before=before, limit=limit)


def event(state: HubState, caller: Caller, endpoint_id: int, event_id: int) -> tuple[OutboxEvent, list[WebhookAttempt]]:
    """One event of one of the org's endpoints, with its attempts; any other id is not found."""
    with state.db.reading() as session:
        found = store.endpoint(session, caller.org_id, endpoint_id)
        one = store.event(session, found.id, event_id)
        return one, store.attempts(session, one.id)


def redeliver(state: HubState, caller: Caller, endpoint_id: int, event_id: int) -> OutboxEvent:
    """Send a delivered or dead event again (same ``webhook-id``)."""
    with state.db.writing() as session:
        found = store.endpoint(session, caller.org_id, endpoint_id)
        one = store.event(session, found.id, event_id)
        store.redeliver(session, one, utcnow())
        detail = {"endpoint": endpoint_id, "event": event_id}
        audit.record(session, caller, "webhook.redeliver", target=found.name, count=1, detail=detail)
    return one


def redeliver_dead(state: HubState, caller: Caller, endpoint_id: int) -> int:
    """Send every dead event of the endpoint again (each with its own ``webhook-id``); how many."""
    with state.db.writing() as session:
        found = store.endpoint(session, caller.org_id, endpoint_id)
        count = store.redeliver_dead(session, found.id, utcnow())
        detail = {"endpoint": endpoint_id, "dead": True}
        audit.record(session, caller, "webhook.redeliver", target=found.name, count=count, detail=detail)
    return count


# -- the delivery worker's transactions ----------------------------------------------------------------------


def claim_batch(
    db: Database,
    settings: Settings,
    limit: int,
    held: Collection[int] = (),
    probes: Collection[int] = (),
    after: int = 0,
) -> tuple[list[store.DueEvent], dict[int, store.Target]]:
    """Claim up to ``limit`` due events for this worker (leased for ``webhook_lease_seconds``) and their targets;
    none of the ``held`` endpoints' (the worker's circuit breaker holds them), but the first due event of each of
    the ``probes`` endpoints (one event that tries whether a failing receiver is back); ``after``: only events of
    larger ids (see :func:`store.claim_due`)."""
    now = utcnow()
    if not probes:
        with db.reading() as session:
            if not store.any_due(session, now, held):
                return [], {}
    with db.writing() as session:
        return _claim(session, settings, now, limit, held, probes, after)


def _claim(
    session: Session,
    settings: Settings,
    now: datetime,
    limit: int,
    held: Collection[int],
    probes: Collection[int],
    after: int = 0,
) -> tuple[list[store.DueEvent], dict[int, store.Target]]:
    lease_until = now + timedelta(seconds=settings.webhook_lease_seconds)
    due = store.claim_due(session, now, lease_until, limit, held=held, after=after) if limit > 0 else []
    for endpoint_id in sorted(probes):
        due += store.claim_due(session, now, lease_until, 1, only=endpoint_id)
    found = store.targets(session, {e.endpoint_id for e in due}) if due else {}
    return due, found


def record_batch(db: Database, records: Sequence[store.AttemptRecord], released: Sequence[int]) -> None:
    """Log attempts and move their events on; hand back claimed events that were not tried."""
    with db.writing() as session:
        store.record_attempts(session, records, released, utcnow())


def expire_held(db: Database, settings: Settings, held: Collection[int]) -> int:
    """Mark dead the events of the ``held`` endpoints (circuit breaker open) that have waited longer than
    ``webhook_retry_total_seconds`` since they were written: a receiver down for longer than the retry window loses
    them as it would have had they been tried (see :func:`store.expire_held`); returns how many."""
    if not held:
        return 0
    now = utcnow()
    with db.writing() as session:
        return store.expire_held(session, held, now - timedelta(seconds=settings.webhook_retry_total_seconds), now)


def record_and_claim(
    db: Database,
    settings: Settings,
    records: Sequence[store.AttemptRecord],
    released: Sequence[int],
    limit: int,
    held: Collection[int] = (),
    probes: Collection[int] = (),
    after: int = 0,
) -> tuple[list[store.DueEvent], dict[int, store.Target]]:
    """One step of the worker's pipeline, in one transaction: log finished attempts and move their events on, hand
    back claimed events that were not tried, then claim up to ``limit`` due events (``limit`` 0: claim none; only
    ids over ``after``) apart from the ``held`` endpoints', and one event of each of the ``probes`` endpoints (see
    :func:`claim_batch`).

    Recording first lets the claim see what it freed (the next event of a key whose event was just delivered). With
    nothing to record, an idle outbox is looked at with a read only (no write lock)."""
    if not records and not released:
        return claim_batch(db, settings, limit, held, probes, after) if limit > 0 or probes else ([], {})
    now = utcnow()
    with db.writing() as session:
        store.record_attempts(session, records, released, now)
        if limit <= 0 and not probes:
            return [], {}
        return _claim(session, settings, now, limit, held, probes, after)

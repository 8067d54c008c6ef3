"""Subscriptions: the hub mirrors other hubs' lists on a schedule (see :mod:`sharedhash.sync.scheduler`); what
they write is indexed at each commit, so mirrored entries match at once. An org admin lists, reads and removes
its org's subscriptions (they are created with ``sharedhash sync subscribe`` on the node's own database)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from sharedhash.server.state import HubState
from sharedhash.store import audit
from sharedhash.store import mirror as store
from sharedhash.store.db import Database
from sharedhash.store.models import utcnow
from sharedhash.store.orgs import caller_for_org, get_org_by_name, org_by_id
from sharedhash.store.visibility import Caller
from sharedhash.sync.mirror import LocalOrg, local_org, normalise_url


def run_due(state: HubState) -> None:
    """Run every subscription that is due, refreshing the indexes after each commit."""
    from sharedhash.sync.scheduler import run_due_subscriptions  # the HTTP client: only when a round runs

    run_due_subscriptions(
        state.db,
        stop=state.stop,
        on_commit=lambda ids: state.indexes.refresh_after_write(state.db, ids),
        settings=state.settings,
    )


def org_subscriptions(state: HubState, caller: Caller) -> list[dict[str, object]]:
    """The caller's org's subscriptions with their last run, last error and lag."""
    with state.db.reading() as session:
        now = utcnow()
        return [s.to_dict(now) for s in store.subscription_statuses(session, caller.org_id)]


def subscription(state: HubState, caller: Caller, sub_id: int) -> dict[str, object]:
    """One of the caller's org's subscriptions; another org's is not found."""
    with state.db.reading() as session:
        return store.subscription_status(session, sub_id, caller.org_id).to_dict(utcnow())


def remove(state: HubState, caller: Caller, sub_id: int) -> dict[str, object]:
    """Remove one of the caller's org's subscriptions (its mirrors stay, no longer updated); audited."""
    with state.db.writing() as session:
        return _remove(session, caller, sub_id, caller.org_id)


def _remove(session: Session, caller: Caller | None, sub_id: int, org_id: int | None) -> dict[str, Any]:
    """Remove a subscription (of ``org_id``, if given) and audit it under ``caller`` (default: its org)."""
    shown = store.subscription_status(session, sub_id, org_id).to_dict(utcnow())
    removed = store.remove_subscription(session, sub_id, org_id)
    detail: dict[str, object] = {"subscription": sub_id}
    if caller is None:
        owner = org_by_id(session, removed.org_id)
        caller = caller_for_org(owner) if owner is not None else None
        detail["by"] = "local operator"
    if caller is not None:
        audit.record(session, caller, "subscription.remove", target=str(shown["from"]), detail=detail)
    return shown


# The local operator (`sharedhash sync subscribe/subscriptions/show/unsubscribe` on the node's own machine): on the
# database, without a running hub (the server's scheduler reads subscriptions from the database each round).


def subscribe_locally(
    db: Database, *, org: str, create_org: bool, source: str, api_key: str, interval: int
) -> tuple[int, LocalOrg]:
    """Store a subscription of the local org ``org`` (created with a first admin key unless ``create_org`` is
    false) to the hub at ``source``; the interval and key are checked before the org may be created."""
    store.check_subscription(interval, api_key)
    local = local_org(db, org, create=create_org)
    with db.writing() as session:
        sub = store.add_subscription(session, local.caller, normalise_url(source), api_key, interval)
        return sub.id, local


def statuses_locally(db: Database, org: str | None, sub_id: int | None) -> list[dict[str, Any]]:
    """Every subscription (of ``org``, if given), or the one numbered ``sub_id``, with last run, error and lag."""
    with db.reading() as session:
        org_id = get_org_by_name(session, org).id if org else None
        found = (
            [store.subscription_status(session, sub_id, org_id)]
            if sub_id is not None
            else store.subscription_statuses(session, org_id)
        )
        now = utcnow()
        return [s.to_dict(now) for s in found]


def remove_locally(db: Database, sub_id: int, org: str | None) -> dict[str, Any]:
    """Remove a subscription (of ``org``, if given); audited under its org as the local operator's act."""
    with db.writing() as session:
        org_id = get_org_by_name(session, org).id if org else None
        return _remove(session, None, sub_id, org_id)

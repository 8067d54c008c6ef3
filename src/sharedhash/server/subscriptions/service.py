"""Subscriptions: the hub mirrors other hubs' lists on a schedule (see :mod:`sharedhash.sync.scheduler`); what
they write is indexed at each commit, so mirrored entries match at once. An org admin lists, reads and removes
its org's subscriptions (they are created with ``sharedhash sync subscribe`` on the node's own database)."""

from __future__ import annotations

from sharedhash.server.state import HubState
from sharedhash.store import audit
from sharedhash.store import mirror as store
from sharedhash.store.models import utcnow
from sharedhash.store.visibility import Caller


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
        shown = store.subscription_status(session, sub_id, caller.org_id).to_dict(utcnow())
        store.remove_subscription(session, sub_id, caller.org_id)
        audit.record(session, caller, "subscription.remove", target=str(shown["from"]), detail={"subscription": sub_id})
    return shown

"""Subscriptions: the hub mirrors other hubs' lists on a schedule (see :mod:`sharedhash.sync.scheduler`); what
they write is indexed at each commit, so mirrored entries match at once."""

from __future__ import annotations

from sharedhash.server.state import HubState


def run_due(state: HubState) -> None:
    """Run every subscription that is due, refreshing the indexes after each commit."""
    from sharedhash.sync.scheduler import run_due_subscriptions  # the HTTP client: only when a round runs

    run_due_subscriptions(
        state.db,
        stop=state.stop,
        on_commit=lambda ids: state.indexes.refresh_after_write(state.db, ids),
        settings=state.settings,
    )

"""The audit log as an org admin reads it. Writes are audited by each domain's service in the write's own
transaction; lookups are summed in :class:`sharedhash.server.memory.tallies.AuditBuffer`. Queries are in
:mod:`sharedhash.store.audit`."""

from __future__ import annotations

from sharedhash.server.state import HubState
from sharedhash.store.audit import list_events
from sharedhash.store.models import AuditEvent
from sharedhash.store.visibility import Caller


def events(state: HubState, caller: Caller, *, before: int | None, limit: int) -> list[AuditEvent]:
    """The org's events, newest first; buffered lookup events are written first, so they show up to now."""
    state.audit.flush()
    with state.db.reading() as session:
        return list_events(session, caller, before=before, limit=limit)

"""Disputes: the list owner reads verdicts (which org, never which key), keeps an inbox of open disputes,
resolves them, and sets a list's quarantine policy; each write in one transaction with its audit record, the
indexes refreshed after the commit. Queries are in :mod:`sharedhash.store.disputes`."""

from __future__ import annotations

from sharedhash.server.state import HubState
from sharedhash.store import audit
from sharedhash.store import disputes as store
from sharedhash.store.models import DisputePolicy, DisputeResolution
from sharedhash.store.visibility import Caller


def entry_disputes(state: HubState, caller: Caller, entry_id: int) -> store.EntryDisputes:
    """Every verdict on an entry of the caller's list, and its resolutions."""
    with state.db.reading() as session:
        found = store.entry_disputes(session, caller, entry_id)
        session.expunge_all()
        return found


def inbox(state: HubState, caller: Caller, list_id: int | None, limit: int) -> list[store.InboxItem]:
    """Entries of the caller's lists with open disputes, the most recently disputed first."""
    with state.db.reading() as session:
        return store.dispute_inbox(session, caller, list_id, limit)


def resolve(
    state: HubState, caller: Caller, entry_id: int, action: str, *, reply: str, reason: str
) -> DisputeResolution:
    """Keep (with a reply) or remove (with a reason on the tombstone) a disputed entry; audited."""
    with state.db.writing() as session:
        row, touched = store.resolve(session, caller, entry_id, action, reply=reply, reason=reason)
        detail = {
            "action": action,
            "reason": row.reason,
            **({"restored_as": row.restored_as} if row.restored_as else {}),
        }
        audit.record(session, caller, "dispute.resolve", target=f"entry:{entry_id}", detail=detail)
        session.expunge(row)
    state.indexes.refresh_after_write(state.db, touched)
    return row


def policy(state: HubState, caller: Caller, list_id: int) -> DisputePolicy | None:
    """An owned list's dispute policy."""
    with state.db.reading() as session:
        found = store.policy_of(session, caller, list_id)
        if found is not None:
            session.expunge(found)
        return found


def set_policy(state: HubState, caller: Caller, list_id: int, quarantine_after: int | None) -> DisputePolicy | None:
    """Set or clear an owned list's quarantine threshold; audited."""
    with state.db.writing() as session:
        row = store.set_policy(session, caller, list_id, quarantine_after)
        audit.record(
            session, caller, "dispute.policy", target=f"list:{list_id}", detail={"quarantine_after": quarantine_after}
        )
        if row is not None:
            session.expunge(row)
    return row

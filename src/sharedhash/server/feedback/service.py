"""Feedback on entries: an org confirms or disputes an entry, or withdraws its verdict; each in one transaction
with its audit record. Queries are in :mod:`sharedhash.store.feedback`."""

from __future__ import annotations

from sharedhash.server.state import HubState
from sharedhash.store import audit
from sharedhash.store import feedback as store
from sharedhash.store.models import Feedback, Verdict
from sharedhash.store.visibility import Caller

Reason = store.Reason


def give(state: HubState, caller: Caller, entry_id: int, verdict: Verdict, reason: Reason, note: str) -> Feedback:
    """Record the caller's org's verdict on an entry, replacing an earlier one."""
    with state.db.writing() as session:
        row = store.give_feedback(session, caller, entry_id, verdict, reason, note)
        audit.record(session, caller, f"feedback.{verdict.value}", target=f"entry:{entry_id}")
    return row


def withdraw(state: HubState, caller: Caller, entry_id: int) -> None:
    """Remove the caller's org's verdict on an entry."""
    with state.db.writing() as session:
        store.withdraw_feedback(session, caller, entry_id)
        audit.record(session, caller, "feedback.withdraw", target=f"entry:{entry_id}")

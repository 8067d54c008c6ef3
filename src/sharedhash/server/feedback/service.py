"""Feedback on entries: an org confirms or disputes an entry, or withdraws its verdict; each in one transaction
with its audit record. Queries are in :mod:`sharedhash.store.feedback`.

Feedback travels both ways. On a hub, a verdict puts the entry on its list's feed again (with its counts), so
every node mirroring it hears of it, and the org's own verdict reaches its node beside the feed page. On a node, a
verdict on a mirrored entry is also queued for the source hub (``feedback_outbox``) and sent by a background loop
(:func:`send_outbox`) with the key of the org's subscription there: a dispute hides the entry for the org on every
server it uses. Other features (the review helper) give feedback on a matched entry through :func:`give`."""

from __future__ import annotations

from sharedhash.server.state import HubState
from sharedhash.store import audit
from sharedhash.store import feedback as store
from sharedhash.store.disputes import quarantine_if_due
from sharedhash.store.models import Feedback, Verdict
from sharedhash.store.visibility import Caller

Reason = store.Reason


def give(state: HubState, caller: Caller, entry_id: int, verdict: Verdict, reason: Reason, note: str = "") -> Feedback:
    """Record the caller's org's verdict on an entry it may read, replacing an earlier one; local or mirrored
    alike (a mirrored entry's verdict is also queued for its source hub). The one function to call to give
    feedback on a matched entry (the API route, the CLI and the review helper do)."""
    with state.db.writing() as session:
        row = store.give_feedback(session, caller, entry_id, verdict, reason, note)
        queued = store.enqueue_for_source(
            session, caller, entry_id, verdict=row.verdict, reason=row.reason, note=row.note
        )
        detail = {"reason": row.reason, **({"to_source": queued.source_url[:200]} if queued else {})}
        audit.record(session, caller, f"feedback.{verdict.value}", target=f"entry:{entry_id}", detail=detail)
        # The list's dispute policy may quarantine the entry now (recorded under the list owner's name).
        quarantined = verdict == Verdict.DISPUTE and quarantine_if_due(session, entry_id)
        if quarantined:
            audit.record(session, None, "dispute.quarantine", target=f"entry:{entry_id}")
    if quarantined:
        state.indexes.refresh_after_write(state.db, [entry_id])
    return row


def withdraw(state: HubState, caller: Caller, entry_id: int) -> None:
    """Remove the caller's org's verdict on an entry (on a mirrored entry, also at its source hub)."""
    with state.db.writing() as session:
        store.withdraw_feedback(session, caller, entry_id)
        queued = store.enqueue_for_source(session, caller, entry_id)
        detail = {"to_source": queued.source_url[:200]} if queued else {}
        audit.record(session, caller, "feedback.withdraw", target=f"entry:{entry_id}", detail=detail)


def send_outbox(state: HubState) -> None:
    """One round of sending queued verdicts to their source hubs (run by the loop registry)."""
    from sharedhash.sync.feedback import send_pending_feedback  # the HTTP client: only when a round runs

    send_pending_feedback(state.db, settings=state.settings, stop=state.stop)

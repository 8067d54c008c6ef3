"""``/v1/entries/{id}/feedback``: an org confirms, disputes, or withdraws its verdict on an entry."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from sharedhash.server.deps import Contributor, IdPath, State
from sharedhash.server.feedback import service
from sharedhash.server.feedback.schemas import FeedbackIn, FeedbackOut

router = APIRouter(prefix="/v1/entries", tags=["entries"])


@router.put("/{entry_id}/feedback", response_model=FeedbackOut, summary="Confirm or dispute an entry")
def put_feedback(entry_id: IdPath, body: FeedbackIn, state: State, caller: Contributor) -> FeedbackOut:
    """Record the caller's org's verdict (replacing an earlier one). A dispute hides the entry from its lookups."""
    row = service.give(state, caller, entry_id, body.verdict, body.reason, body.note)
    return FeedbackOut(
        entry_id=entry_id, verdict=row.verdict, reason=row.reason, note=row.note, updated_at=row.updated_at
    )


@router.delete("/{entry_id}/feedback", status_code=status.HTTP_204_NO_CONTENT, summary="Withdraw feedback")
def delete_feedback(entry_id: IdPath, state: State, caller: Contributor) -> Response:
    """Remove the caller's org's verdict on an entry."""
    service.withdraw(state, caller, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

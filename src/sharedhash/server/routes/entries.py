"""``/v1/entries/{id}``: read, change and remove entries and single hashes; feedback on entries."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from sharedhash.server.deps import Contributor, Reader, State
from sharedhash.server.schemas import EntryOut, EntryUpdate, FeedbackIn, FeedbackOut
from sharedhash.store import audit
from sharedhash.store.entries import UNSET, get_entry, remove_entry, remove_hash, update_entry, validate_hash
from sharedhash.store.feedback import give_feedback, withdraw_feedback

router = APIRouter(prefix="/v1/entries", tags=["entries"])


@router.get("/{entry_id}", response_model=EntryOut, summary="One entry")
def one_entry(entry_id: int, state: State, caller: Reader) -> EntryOut:
    """An entry in a list the caller may read, with feedback counts."""
    with state.db.reading() as session:
        return EntryOut.of(get_entry(session, caller, entry_id))


@router.patch("/{entry_id}", response_model=EntryOut, summary="Change an entry")
def change_entry(entry_id: int, body: EntryUpdate, state: State, caller: Contributor) -> EntryOut:
    """Change classification, labels or external id, or add hashes (the contributor or the list owner)."""
    min_quality = state.settings.pdq_min_quality
    extra = [validate_hash(h.hash_type, h.value, h.quality, min_quality=min_quality) for h in body.add_hashes]
    classification = None if body.clear_classification else (body.classification or UNSET)
    fields = body.model_fields_set
    with state.db.writing() as session:
        view = update_entry(
            session,
            caller,
            entry_id,
            classification=classification,
            labels=body.labels,
            external_id=body.external_id if "external_id" in fields else UNSET,
            add_hashes=extra,
        )
        audit.record(session, caller, "entry.update", target=f"entry:{entry_id}", count=len(extra))
    state.indexes.refresh_after_write(state.db, [entry_id])
    return EntryOut.of(view)


@router.delete("/{entry_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove an entry")
def delete_entry(entry_id: int, state: State, caller: Contributor) -> Response:
    """Tombstone the entry: its hashes stop matching at once, and the feed carries the removal."""
    with state.db.writing() as session:
        remove_entry(session, caller, entry_id)
        audit.record(session, caller, "entry.remove", target=f"entry:{entry_id}")
    state.indexes.refresh_after_write(state.db, [entry_id])
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{entry_id}/hashes/{hash_type}/{value}", summary="Remove one hash of an entry")
def delete_hash(entry_id: int, hash_type: str, value: str, state: State, caller: Contributor) -> Response:
    """Tombstone one hash; removing the last hash removes the entry. 200 with the entry, or 204 if it went."""
    target = validate_hash(hash_type, value)
    with state.db.writing() as session:
        view = remove_hash(session, caller, entry_id, target)
        audit.record(
            session,
            caller,
            "hash.remove",
            target=f"entry:{entry_id}",
            detail={"hash": f"{hash_type}:{target.value[:8]}"},
        )
    state.indexes.refresh_after_write(state.db, [entry_id])
    if view is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return Response(EntryOut.of(view).model_dump_json(), media_type="application/json")


@router.put("/{entry_id}/feedback", response_model=FeedbackOut, summary="Confirm or dispute an entry")
def put_feedback(entry_id: int, body: FeedbackIn, state: State, caller: Contributor) -> FeedbackOut:
    """Record the caller's org's verdict (replacing an earlier one). A dispute hides the entry from its lookups."""
    with state.db.writing() as session:
        row = give_feedback(session, caller, entry_id, body.verdict, body.reason, body.note)
        audit.record(session, caller, f"feedback.{body.verdict.value}", target=f"entry:{entry_id}")
        return FeedbackOut(
            entry_id=entry_id, verdict=row.verdict, reason=row.reason, note=row.note, updated_at=row.updated_at
        )


@router.delete("/{entry_id}/feedback", status_code=status.HTTP_204_NO_CONTENT, summary="Withdraw feedback")
def delete_feedback(entry_id: int, state: State, caller: Contributor) -> Response:
    """Remove the caller's org's verdict on an entry."""
    with state.db.writing() as session:
        withdraw_feedback(session, caller, entry_id)
        audit.record(session, caller, "feedback.withdraw", target=f"entry:{entry_id}")
    return Response(status_code=status.HTTP_204_NO_CONTENT)

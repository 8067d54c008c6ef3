"""Entries: ``/v1/hash-lists/{id}/entries`` (a list's entries, adding one) and ``/v1/entries/{id}`` (read, change
and remove entries and single hashes)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status

from sharedhash.limits import HASH_TYPE_NAME_MAX, HASH_VALUE_MAX, MAX_ENTRY_PAGE, MAX_ID
from sharedhash.server.deps import Contributor, IdPath, Reader, State
from sharedhash.server.entries import service
from sharedhash.server.entries.schemas import EntryAdded, EntryCreate, EntryOut, EntryPage, EntryUpdate

list_router = APIRouter(prefix="/v1/hash-lists", tags=["hash lists"])
router = APIRouter(prefix="/v1/entries", tags=["entries"])


@list_router.get("/{list_id}/entries", response_model=EntryPage, summary="A page of a list's entries")
def entries(
    list_id: IdPath,
    state: State,
    caller: Reader,
    after: int = Query(default=0, ge=0, le=MAX_ID, description="Only entries with a larger id (pass `next_after`)."),
    limit: int = Query(default=100, ge=1, le=MAX_ENTRY_PAGE),
) -> EntryPage:
    """Active entries, by id."""
    views = service.list_page(state, caller, list_id, after=after, limit=limit)
    return EntryPage(
        entries=[EntryOut.of(v) for v in views], next_after=views[-1].entry.id if len(views) == limit else None
    )


@list_router.post(
    "/{list_id}/entries",
    response_model=EntryAdded,
    status_code=status.HTTP_201_CREATED,
    summary="Add an entry",
    responses={200: {"model": EntryAdded, "description": "One of the hashes was already there: the existing entry"}},
)
def new_entry(list_id: IdPath, body: EntryCreate, state: State, caller: Contributor, response: Response) -> EntryAdded:
    """Add an entry; if one of its hashes is already in the list, answer 200 with the existing entry."""
    view, created = service.add(
        state,
        caller,
        list_id,
        [(h.hash_type, h.value, h.quality) for h in body.hashes],
        classification=body.classification,
        labels=body.labels,
        external_id=body.external_id,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return EntryAdded(**EntryOut.of(view).model_dump(), created=created)


@router.get("/{entry_id}", response_model=EntryOut, summary="One entry")
def one_entry(entry_id: IdPath, state: State, caller: Reader) -> EntryOut:
    """An entry in a list the caller may read, with feedback counts."""
    return EntryOut.of(service.get(state, caller, entry_id))


@router.patch("/{entry_id}", response_model=EntryOut, summary="Change an entry")
def change_entry(entry_id: IdPath, body: EntryUpdate, state: State, caller: Contributor) -> EntryOut:
    """Change classification, labels or external id, or add hashes (the contributor or the list owner)."""
    view = service.update(
        state,
        caller,
        entry_id,
        classification=None if body.clear_classification else (body.classification or service.UNSET),
        labels=body.labels,
        external_id=body.external_id if "external_id" in body.model_fields_set else service.UNSET,
        add_hashes=[(h.hash_type, h.value, h.quality) for h in body.add_hashes],
    )
    return EntryOut.of(view)


@router.delete("/{entry_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove an entry")
def delete_entry(entry_id: IdPath, state: State, caller: Contributor) -> Response:
    """Tombstone the entry: its hashes stop matching at once, and the feed carries the removal."""
    service.remove(state, caller, entry_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{entry_id}/hashes/{hash_type}/{value}", summary="Remove one hash of an entry")
def delete_hash(
    entry_id: IdPath,
    hash_type: Annotated[str, Path(max_length=HASH_TYPE_NAME_MAX)],
    value: Annotated[str, Path(max_length=HASH_VALUE_MAX)],
    state: State,
    caller: Contributor,
) -> Response:
    """Tombstone one hash; removing the last hash removes the entry. 200 with the entry, or 204 if it went."""
    view = service.remove_hash(state, caller, entry_id, hash_type, value)
    if view is None:
        return Response(status_code=status.HTTP_204_NO_CONTENT)
    return Response(EntryOut.of(view).model_dump_json(), media_type="application/json")

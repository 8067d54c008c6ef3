"""``/v1/hash-lists``: create, read and change lists; their entries and their change feed."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response, status
from sqlalchemy.orm import Session

from sharedhash.server.deps import Admin, Contributor, Reader, State
from sharedhash.server.schemas import (
    EntryAdded,
    EntryCreate,
    EntryOut,
    EntryPage,
    FeedPageOut,
    ListCreate,
    ListOut,
    ListUpdate,
)
from sharedhash.store import audit
from sharedhash.store.entries import add_entry, list_entries, validate_entry, validate_hash
from sharedhash.store.feed import read_feed_json
from sharedhash.store.lists import ShareSpec, create_list, get_readable_list, list_readable, shares_of, update_list
from sharedhash.store.models import HashList, Org
from sharedhash.store.visibility import Caller

router = APIRouter(prefix="/v1/hash-lists", tags=["hash lists"])


def list_out(session: Session, caller: Caller, hash_list: HashList) -> ListOut:
    """A list as this caller may see it: shares only for the owner."""
    owner = session.get(Org, hash_list.owner_org_id)
    shares = shares_of(session, hash_list.id) if hash_list.owner_org_id == caller.org_id else None
    return ListOut.of(hash_list, owner.name if owner else "", shares)


@router.get("", response_model=list[ListOut], summary="Lists the caller may read")
def lists(state: State, caller: Reader) -> list[ListOut]:
    """Every list the caller's org owns, is shared, or that is open to all members."""
    with state.db.reading() as session:
        return [list_out(session, caller, lst) for lst in list_readable(session, caller)]


@router.post("", response_model=ListOut, status_code=status.HTTP_201_CREATED, summary="Create a list")
def new_list(body: ListCreate, state: State, caller: Admin) -> ListOut:
    """A new list owned by the caller's org."""
    with state.db.writing() as session:
        created = create_list(
            session,
            caller,
            body.name,
            description=body.description,
            visibility=body.visibility,
            pdq_threshold=body.pdq_threshold,
            shares=[ShareSpec(s.org, s.access) for s in body.shares],
        )
        audit.record(session, caller, "list.create", target=f"list:{created.id}")
        return list_out(session, caller, created)


@router.get("/{list_id}", response_model=ListOut, summary="One list")
def one_list(list_id: int, state: State, caller: Reader) -> ListOut:
    """A list the caller may read (404 otherwise)."""
    with state.db.reading() as session:
        return list_out(session, caller, get_readable_list(session, caller, list_id))


@router.patch("/{list_id}", response_model=ListOut, summary="Change a list")
def change_list(list_id: int, body: ListUpdate, state: State, caller: Admin) -> ListOut:
    """Change a list's name, description, visibility, PDQ threshold or shares (owner only)."""
    with state.db.writing() as session:
        changed = update_list(
            session,
            caller,
            list_id,
            name=body.name,
            description=body.description,
            visibility=body.visibility,
            pdq_threshold=body.pdq_threshold,
            shares=None if body.shares is None else [ShareSpec(s.org, s.access) for s in body.shares],
        )
        audit.record(session, caller, "list.update", target=f"list:{list_id}", detail=body.model_dump(mode="json"))
        return list_out(session, caller, changed)


@router.get("/{list_id}/entries", response_model=EntryPage, summary="A page of a list's entries")
def entries(
    list_id: int,
    state: State,
    caller: Reader,
    after: int = Query(default=0, ge=0, description="Only entries with a larger id (pass `next_after`)."),
    limit: int = Query(default=100, ge=1, le=1000),
) -> EntryPage:
    """Active entries, by id."""
    with state.db.reading() as session:
        views = list_entries(session, caller, list_id, after_id=after, limit=limit)
    return EntryPage(
        entries=[EntryOut.of(v) for v in views], next_after=views[-1].entry.id if len(views) == limit else None
    )


@router.post(
    "/{list_id}/entries",
    response_model=EntryAdded,
    status_code=status.HTTP_201_CREATED,
    summary="Add an entry",
    responses={200: {"model": EntryAdded, "description": "One of the hashes was already there: the existing entry"}},
)
def new_entry(list_id: int, body: EntryCreate, state: State, caller: Contributor, response: Response) -> EntryAdded:
    """Add an entry; if one of its hashes is already in the list, answer 200 with the existing entry."""
    min_quality = state.settings.pdq_min_quality
    hashes = [validate_hash(h.hash_type, h.value, h.quality, min_quality=min_quality) for h in body.hashes]
    new = validate_entry(hashes, body.classification, body.labels, body.external_id)
    with state.db.writing() as session:
        view, created = add_entry(session, caller, list_id, new)
        audit.record(
            session,
            caller,
            "entry.add" if created else "entry.add_existing",
            target=f"entry:{view.entry.id}",
            count=len(hashes),
            detail={"list_id": list_id, "hashes": [f"{h.hash_type}:{h.value[:8]}" for h in hashes]},
        )
    state.indexes.refresh_after_write(state.db, [view.entry.id])
    if not created:
        response.status_code = status.HTTP_200_OK
    return EntryAdded(**EntryOut.of(view).model_dump(), created=created)


@router.get("/{list_id}/feed", response_model=FeedPageOut, summary="The list's change feed")
def feed(
    list_id: int,
    state: State,
    caller: Reader,
    after: str | None = Query(default=None, max_length=200, description="A `next_cursor`; omit to start."),
    limit: int = Query(default=1000, ge=1, le=10_000),
) -> Response:
    """Adds, updates and tombstones in ``seq`` order; replaying from the start rebuilds the list exactly."""
    # The body is built from the stored snapshot text (see read_feed_json); its shape is FeedPageOut.
    with state.db.reading() as session:
        hash_list = get_readable_list(session, caller, list_id)
        body = read_feed_json(session, hash_list, after, limit)
    return Response(body, media_type="application/json")

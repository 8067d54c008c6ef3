"""``/v1/hash-lists``: create, read and change lists and their shares."""

from __future__ import annotations

from fastapi import APIRouter, status

from sharedhash.server.deps import Admin, IdPath, Reader, State
from sharedhash.server.lists import service
from sharedhash.server.lists.schemas import ListCreate, ListOut, ListUpdate, ShareIn

router = APIRouter(prefix="/v1/hash-lists", tags=["hash lists"])


def list_out(view: service.ListView) -> ListOut:
    """A list as its caller may see it: shares only for the owner."""
    return ListOut.of(view.hash_list, view.owner, view.shares)


def _shares(shares: list[ShareIn]) -> list[service.ShareSpec]:
    return [service.ShareSpec(s.org, s.access) for s in shares]


@router.get("", response_model=list[ListOut], summary="Lists the caller may read")
def lists(state: State, caller: Reader) -> list[ListOut]:
    """Every list the caller's org owns, is shared, or that is open to all members."""
    return [list_out(v) for v in service.readable_lists(state, caller)]


@router.post("", response_model=ListOut, status_code=status.HTTP_201_CREATED, summary="Create a list")
def new_list(body: ListCreate, state: State, caller: Admin) -> ListOut:
    """A new list owned by the caller's org."""
    created = service.create_list(
        state,
        caller,
        body.name,
        description=body.description,
        visibility=body.visibility,
        pdq_threshold=body.pdq_threshold,
        shares=_shares(body.shares),
        video_listed_percent=body.video_listed_percent,
        video_query_percent=body.video_query_percent,
    )
    return list_out(created)


@router.get("/{list_id}", response_model=ListOut, summary="One list")
def one_list(list_id: IdPath, state: State, caller: Reader) -> ListOut:
    """A list the caller may read (404 otherwise)."""
    return list_out(service.get_list(state, caller, list_id))


@router.delete("/{list_id}", response_model=ListOut, summary="Delete a list")
def delete_list(list_id: IdPath, state: State, caller: Admin) -> ListOut:
    """Delete a list you own: every entry is tombstoned through the feed (so the sharees' mirrors drop them), then
    the list is marked deleted (``deleted_at``) and its name freed. It stays readable, with its feed, to the orgs
    that could read it; nobody can change it any more."""
    return list_out(service.delete_list(state, caller, list_id))


@router.patch("/{list_id}", response_model=ListOut, summary="Change a list")
def change_list(list_id: IdPath, body: ListUpdate, state: State, caller: Admin) -> ListOut:
    """Change a list's name, description, visibility, PDQ threshold, video match rule or shares (owner only)."""
    changed = service.update_list(
        state,
        caller,
        list_id,
        name=body.name,
        description=body.description,
        visibility=body.visibility,
        pdq_threshold=body.pdq_threshold,
        shares=None if body.shares is None else _shares(body.shares),
        video_listed_percent=body.video_listed_percent,
        video_query_percent=body.video_query_percent,
    )
    return list_out(changed)

"""Hash lists and their shares: create, read, change; each write in one transaction with its audit record.
Queries are in :mod:`sharedhash.store.lists`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from sharedhash import limits
from sharedhash.server.state import HubState
from sharedhash.store import audit
from sharedhash.store import lists as store
from sharedhash.store.models import HashList, Visibility
from sharedhash.store.visibility import Caller

ShareSpec = store.ShareSpec


@dataclass(frozen=True, slots=True)
class ListView:
    """A list as one caller may see it: its owner's name, and its shares only when the caller owns it."""

    hash_list: HashList
    owner: str
    shares: list[tuple[str, str]] | None


def _view(session: Session, caller: Caller, hash_list: HashList) -> ListView:
    owner = store.owner_name(session, hash_list)
    shares = store.shares_of(session, hash_list.id) if hash_list.owner_org_id == caller.org_id else None
    return ListView(hash_list, owner, shares)


def readable_lists(state: HubState, caller: Caller) -> list[ListView]:
    """Every list the caller's org owns, is shared, or that is open to all members."""
    with state.db.reading() as session:
        return [_view(session, caller, lst) for lst in store.list_readable(session, caller)]


def get_list(state: HubState, caller: Caller, list_id: int) -> ListView:
    """A list the caller may read (NotFoundError otherwise)."""
    with state.db.reading() as session:
        return _view(session, caller, store.get_readable_list(session, caller, list_id))


def create_list(
    state: HubState,
    caller: Caller,
    name: str,
    *,
    description: str,
    visibility: Visibility,
    pdq_threshold: int,
    shares: list[ShareSpec],
    video_listed_percent: int = limits.VIDEO_LISTED_PERCENT_DEFAULT,
    video_query_percent: int = limits.VIDEO_QUERY_PERCENT_DEFAULT,
) -> ListView:
    """A new list owned by the caller's org."""
    with state.db.writing() as session:
        created = store.create_list(
            session,
            caller,
            name,
            description=description,
            visibility=visibility,
            pdq_threshold=pdq_threshold,
            video_listed_percent=video_listed_percent,
            video_query_percent=video_query_percent,
            shares=shares,
        )
        audit.record(session, caller, "list.create", target=f"list:{created.id}")
        return _view(session, caller, created)


def update_list(
    state: HubState,
    caller: Caller,
    list_id: int,
    *,
    name: str | None,
    description: str | None,
    visibility: Visibility | None,
    pdq_threshold: int | None,
    shares: list[ShareSpec] | None,
    video_listed_percent: int | None = None,
    video_query_percent: int | None = None,
) -> ListView:
    """Change a list's settings (owner only); None leaves a setting as it is, ``shares`` replaces all shares."""
    # The audit detail is the change as asked for, every field named (None: unchanged).
    detail: dict[str, Any] = {
        "name": name,
        "description": description,
        "visibility": None if visibility is None else visibility.value,
        "pdq_threshold": pdq_threshold,
        "video_listed_percent": video_listed_percent,
        "video_query_percent": video_query_percent,
        "shares": None if shares is None else [{"org": s.org, "access": s.access.value} for s in shares],
    }
    with state.db.writing() as session:
        changed = store.update_list(
            session,
            caller,
            list_id,
            name=name,
            description=description,
            visibility=visibility,
            pdq_threshold=pdq_threshold,
            video_listed_percent=video_listed_percent,
            video_query_percent=video_query_percent,
            shares=shares,
        )
        audit.record(session, caller, "list.update", target=f"list:{list_id}", detail=detail)
        return _view(session, caller, changed)


def delete_list(state: HubState, caller: Caller, list_id: int) -> ListView:
    """Delete an owned list: every entry is tombstoned through the feed (mirrors follow), the list is marked
    deleted and its name freed; audited, and the indexes drop its hashes at once."""
    with state.db.writing() as session:
        deleted, entry_ids = store.delete_list(session, caller, list_id)
        audit.record(session, caller, "list.delete", target=f"list:{list_id}", count=len(entry_ids))
        view = _view(session, caller, deleted)
    state.indexes.refresh_after_write(state.db, entry_ids)
    return view

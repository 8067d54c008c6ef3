"""Hash lists: creation, settings, sharing; every read goes through :mod:`sharedhash.store.visibility`."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from sharedhash import limits
from sharedhash.errors import InvalidInputError, NotFoundError
from sharedhash.hub_errors import (
    InvalidTextError,
    NameTakenError,
    NotListOwnerError,
    ReadOnlyListError,
    ReadOnlyShareError,
)
from sharedhash.limits import PDQ_THRESHOLD_MAX
from sharedhash.store.feed import record_changes
from sharedhash.store.models import Access, ChangeKind, Entry, EntryHash, HashList, ListShare, Org, Visibility, utcnow
from sharedhash.store.visibility import Caller, contributable_lists, owned_lists, readable_lists


@dataclass(frozen=True, slots=True)
class ShareSpec:
    """Share a list with the org called ``org`` for ``access``."""

    org: str
    access: Access


def _check_settings(name: str | None, pdq_threshold: int | None, *percents: int | None) -> None:
    if name is not None and not 1 <= len(name.strip()) <= limits.MAX_LIST_NAME_CHARS:
        raise InvalidInputError(f"a list name is 1 to {limits.MAX_LIST_NAME_CHARS} characters")
    problem = limits.text_problem(name) if name is not None else None
    if problem is not None:
        raise InvalidTextError(f"a list name: {problem}")
    if pdq_threshold is not None and not 0 <= pdq_threshold <= PDQ_THRESHOLD_MAX:
        raise InvalidInputError(f"pdq_threshold must be 0 to {PDQ_THRESHOLD_MAX}")
    if any(p is not None and not 0 <= p <= 100 for p in percents):
        raise InvalidInputError("video_listed_percent and video_query_percent must be 0 to 100")


def create_list(
    session: Session,
    caller: Caller,
    name: str,
    *,
    description: str = "",
    visibility: Visibility = Visibility.PRIVATE,
    pdq_threshold: int = limits.PDQ_THRESHOLD_DEFAULT,
    video_listed_percent: int = limits.VIDEO_LISTED_PERCENT_DEFAULT,
    video_query_percent: int = limits.VIDEO_QUERY_PERCENT_DEFAULT,
    shares: list[ShareSpec] | None = None,
    source_url: str | None = None,
    source_list_id: int | None = None,
) -> HashList:
    """A new list owned by the caller's org."""
    _check_settings(name, pdq_threshold, video_listed_percent, video_query_percent)
    name = name.strip()
    taken = select(HashList.id).where(HashList.owner_org_id == caller.org_id, HashList.name == name)
    if session.scalar(taken) is not None:
        raise NameTakenError(f"your org already has a list named {name!r}")
    hash_list = HashList(
        owner_org_id=caller.org_id,
        name=name,
        description=description,
        visibility=visibility.value,
        pdq_threshold=pdq_threshold,
        video_listed_percent=video_listed_percent,
        video_query_percent=video_query_percent,
        last_seq=0,
        source_url=source_url,
        source_list_id=source_list_id,
    )
    session.add(hash_list)
    session.flush()
    if shares:
        set_shares(session, caller, hash_list.id, shares)
    return hash_list


def get_readable_list(session: Session, caller: Caller, list_id: int) -> HashList:
    """A list the caller may read, else :class:`NotFoundError`."""
    found = session.scalar(readable_lists(caller).where(HashList.id == list_id))
    if found is None:
        raise NotFoundError(f"no hash list with id {list_id}")
    return found


def get_owned_list(session: Session, caller: Caller, list_id: int, *, for_update: bool = False) -> HashList:
    """A list the caller owns; one it can read but not own answers 403, any other 404."""
    stmt = owned_lists(caller).where(HashList.id == list_id)
    found = session.scalar(stmt.with_for_update() if for_update else stmt)
    if found is None:
        readable = get_readable_list(session, caller, list_id)
        if readable.deleted_at is not None:
            raise NotFoundError(f"hash list {list_id} was deleted by its owner")
        raise NotListOwnerError(
            f"hash list {list_id} is shared with your org or open to members; only its owner org changes or deletes it"
        )
    return found


def get_writable_list(session: Session, caller: Caller, list_id: int, *, sync: bool = False) -> HashList:
    """A list the caller may contribute to, locked for the rest of the transaction (writers of a list queue)."""
    found = session.scalar(contributable_lists(caller).where(HashList.id == list_id).with_for_update())
    if found is None:
        readable = get_readable_list(session, caller, list_id)
        if readable.deleted_at is not None:
            raise NotFoundError(f"hash list {list_id} was deleted by its owner", hint="Nothing can be added to it.")
        owner = session.get(Org, readable.owner_org_id)
        raise ReadOnlyShareError(
            f"hash list {list_id} belongs to {owner.name if owner else 'another org'!r}; your org may read it but "
            "not contribute to it, whatever its key's scopes"
        )
    if found.source_url is not None and not sync:
        raise ReadOnlyListError(f"hash list {list_id} mirrors {found.source_url}; only sync changes it")
    return found


def delete_list(session: Session, caller: Caller, list_id: int) -> tuple[HashList, list[int]]:
    """Delete an owned list: tombstone every entry (one feed change each, so mirrors follow), mark the list deleted
    and free its name. Its readers still read it and its feed; nobody changes it. Returns the list and the ids of
    the tombstoned entries."""
    hash_list = get_owned_list(session, caller, list_id, for_update=True)
    if hash_list.source_url is not None:
        raise ReadOnlyListError(
            f"hash list {list_id} mirrors {hash_list.source_url}; only sync changes it",
            hint="Remove the subscription (`sharedhash sync unsubscribe ID`); the source's owner deletes the list.",
        )
    now = utcnow()
    live = (Entry.list_id == list_id, Entry.deleted_at.is_(None))
    ids = list(session.scalars(select(Entry.id).where(*live).order_by(Entry.id)))
    # The same tombstone as a single removal (entries.tombstone), list-wide in two statements.
    session.execute(
        update(EntryHash).where(EntryHash.list_id == list_id, EntryHash.deleted_at.is_(None)).values(deleted_at=now)
    )
    session.execute(update(Entry).where(*live).values(deleted_at=now, updated_at=now))
    record_changes(session, list_id, [(ChangeKind.TOMBSTONE, entry_id, None) for entry_id in ids])
    hash_list.deleted_at = now
    hash_list.name = f"{hash_list.name[:150]} (deleted list {hash_list.id})"
    session.flush()
    return hash_list, ids


def list_readable(session: Session, caller: Caller) -> list[HashList]:
    """Every list the caller may read, by id."""
    return list(session.scalars(readable_lists(caller).order_by(HashList.id)))


def update_list(
    session: Session,
    caller: Caller,
    list_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    visibility: Visibility | None = None,
    pdq_threshold: int | None = None,
    video_listed_percent: int | None = None,
    video_query_percent: int | None = None,
    shares: list[ShareSpec] | None = None,
) -> HashList:
    """Change a list's settings or shares (owner only)."""
    _check_settings(name, pdq_threshold, video_listed_percent, video_query_percent)
    hash_list = get_owned_list(session, caller, list_id, for_update=True)
    if name is not None and name.strip() != hash_list.name:
        taken = select(HashList.id).where(HashList.owner_org_id == caller.org_id, HashList.name == name.strip())
        if session.scalar(taken) is not None:
            raise NameTakenError(f"your org already has a list named {name!r}")
        hash_list.name = name.strip()
    if description is not None:
        hash_list.description = description
    if visibility is not None:
        hash_list.visibility = visibility.value
    if pdq_threshold is not None:
        hash_list.pdq_threshold = pdq_threshold
    if video_listed_percent is not None:
        hash_list.video_listed_percent = video_listed_percent
    if video_query_percent is not None:
        hash_list.video_query_percent = video_query_percent
    if shares is not None:
        set_shares(session, caller, list_id, shares)
    session.flush()
    return hash_list


def set_shares(session: Session, caller: Caller, list_id: int, shares: list[ShareSpec]) -> None:
    """Replace the list's shares with ``shares`` (org names must exist; the owner cannot share with itself)."""
    names = [s.org for s in shares]
    if len(set(names)) != len(names):
        raise InvalidInputError("an org appears twice in the shares")
    orgs = {o.name: o.id for o in session.scalars(select(Org).where(Org.name.in_(names)))}
    missing = sorted(set(names) - set(orgs))
    if missing:
        raise NotFoundError(f"no org named {missing[0]!r}")
    if caller.org_id in orgs.values():
        raise InvalidInputError("a list cannot be shared with its owner")
    session.execute(delete(ListShare).where(ListShare.list_id == list_id))
    for spec in shares:
        session.add(ListShare(list_id=list_id, org_id=orgs[spec.org], access=spec.access.value))
    session.flush()


def shares_of(session: Session, list_id: int) -> list[tuple[str, str]]:
    """``(org name, access)`` of each share of a list, by name."""
    rows = session.execute(
        select(Org.name, ListShare.access).join(Org, Org.id == ListShare.org_id).where(ListShare.list_id == list_id)
    ).all()
    return sorted((r[0], r[1]) for r in rows)


def entry_count(session: Session, list_id: int) -> int:
    """Active entries in a list."""
    stmt = select(func.count()).select_from(Entry).where(Entry.list_id == list_id, Entry.deleted_at.is_(None))
    return int(session.scalar(stmt) or 0)


def visible_list_thresholds(session: Session, caller: Caller) -> dict[int, tuple[str, int]]:
    """``{list id: (name, pdq threshold)}`` for every list the caller may read (used to filter lookups)."""
    stmt = readable_lists(caller).with_only_columns(HashList.id, HashList.name, HashList.pdq_threshold)
    return {r[0]: (r[1], r[2]) for r in session.execute(stmt)}


def all_list_seqs(session: Session) -> dict[int, int]:
    """``{list id: last seq}`` of every list (the index follower compares these with what it has applied)."""
    return {r[0]: int(r[1]) for r in session.execute(select(HashList.id, HashList.last_seq))}


def owner_name(session: Session, hash_list: HashList) -> str:
    """The name of the org that owns ``hash_list`` ("" if it is gone)."""
    owner = session.get(Org, hash_list.owner_org_id)
    return owner.name if owner else ""

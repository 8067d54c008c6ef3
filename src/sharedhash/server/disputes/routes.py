"""Disputes for a list's owner: ``/v1/disputes`` (the inbox), ``/v1/entries/{id}/disputes`` (every verdict on an
entry), ``/v1/entries/{id}/resolution`` (keep or remove), ``/v1/hash-lists/{id}/dispute-policy`` (quarantine)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from sharedhash.limits import MAX_ID
from sharedhash.server.deps import Admin, Contributor, IdPath, Reader, State
from sharedhash.server.disputes import service
from sharedhash.server.disputes.schemas import (
    EntryDisputesOut,
    InboxItemOut,
    PolicyIn,
    PolicyOut,
    ResolutionIn,
    ResolutionOut,
)

router = APIRouter(tags=["disputes"])


@router.get("/v1/disputes", response_model=list[InboxItemOut], summary="The inbox of open disputes")
def inbox(
    state: State,
    caller: Reader,
    list_id: int | None = Query(default=None, ge=1, le=MAX_ID, description="Only this list's entries."),
    limit: int = Query(default=100, ge=1, le=1000),
) -> list[InboxItemOut]:
    """Entries of the caller's lists with disputes given since their last resolution, most recently disputed
    first (quarantined ones included)."""
    return [InboxItemOut.of(i) for i in service.inbox(state, caller, list_id, limit)]


@router.get("/v1/entries/{entry_id}/disputes", response_model=EntryDisputesOut, summary="Every verdict on an entry")
def entry_disputes(entry_id: IdPath, state: State, caller: Reader) -> EntryDisputesOut:
    """For the list's owner: each org's verdict with its reason code and note (never which key), and the
    resolutions so far."""
    return EntryDisputesOut.of(service.entry_disputes(state, caller, entry_id))


@router.post("/v1/entries/{entry_id}/resolution", response_model=ResolutionOut, summary="Resolve an entry's disputes")
def resolve(entry_id: IdPath, body: ResolutionIn, state: State, caller: Contributor) -> ResolutionOut:
    """``keep`` (a quarantined entry comes back) with a reply, or ``remove`` with a reason code that travels on
    the tombstone to every mirror."""
    row = service.resolve(state, caller, entry_id, body.action, reply=body.reply, reason=body.reason)
    return ResolutionOut.of(row)


@router.get("/v1/hash-lists/{list_id}/dispute-policy", response_model=PolicyOut, summary="A list's dispute policy")
def policy(list_id: IdPath, state: State, caller: Reader) -> PolicyOut:
    """After how many distinct disputing orgs an entry is quarantined (null: never automatically)."""
    return PolicyOut.of(list_id, service.policy(state, caller, list_id))


@router.put("/v1/hash-lists/{list_id}/dispute-policy", response_model=PolicyOut, summary="Set a list's dispute policy")
def set_policy(list_id: IdPath, body: PolicyIn, state: State, caller: Admin) -> PolicyOut:
    """Quarantine entries disputed by this many distinct orgs (null clears it)."""
    return PolicyOut.of(list_id, service.set_policy(state, caller, list_id, body.quarantine_after))

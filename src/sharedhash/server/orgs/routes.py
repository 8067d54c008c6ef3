"""``/v1/orgs`` (the caller's own org, member orgs' names, new orgs by the hub operator) and ``/v1/keys`` (an org
admin lists, creates and revokes the org's API keys)."""

from __future__ import annotations

from fastapi import APIRouter, status

from sharedhash.server.deps import Admin, IdPath, Reader, State
from sharedhash.server.orgs import service
from sharedhash.server.orgs.schemas import (
    IssuedKeyOut,
    KeyCreate,
    KeyOut,
    OrgCreate,
    OrgCreated,
    OrgOut,
    SuspensionCreate,
    SuspensionOut,
)

router = APIRouter(prefix="/v1/orgs", tags=["orgs"])
keys_router = APIRouter(prefix="/v1/keys", tags=["keys"])


@router.get("/me", response_model=OrgOut, summary="The caller's org")
def me(state: State, caller: Reader) -> OrgOut:
    """The org the API key belongs to."""
    return OrgOut.of(service.own_org(state, caller))


@router.get("", response_model=list[OrgOut], summary="Every member org (to share lists with)")
def all_orgs(state: State, caller: Reader) -> list[OrgOut]:
    """Names of every org on the hub."""
    return [OrgOut.of(o) for o in service.all_orgs(state)]


@router.post("", response_model=OrgCreated, status_code=status.HTTP_201_CREATED, summary="Create an org")
def new_org(body: OrgCreate, state: State, caller: Admin) -> OrgCreated:
    """Create an org with a first admin key; only the hub operator's admin keys may."""
    org, issued = service.create_org(state, caller, body.name)
    key = IssuedKeyOut.issued(issued)
    return OrgCreated(**OrgOut.of(org).model_dump(), admin_key=key)


@router.post("/{org_id}/suspension", response_model=SuspensionOut, summary="Suspend an org")
def suspend(org_id: IdPath, body: SuspensionCreate, state: State, caller: Admin) -> SuspensionOut:
    """Hub operator only: the org's keys stop working at once, and the lists it owns are readable by nobody else
    (nodes mirroring them are told ``access_lost`` and purge them)."""
    return SuspensionOut.of(*service.suspend_org(state, caller, org_id, body.reason))


@router.delete("/{org_id}/suspension", response_model=SuspensionOut, summary="Reinstate a suspended org")
def reinstate(org_id: IdPath, state: State, caller: Admin) -> SuspensionOut:
    """Hub operator only: end the org's suspension; its keys (not revoked or expired) work again."""
    return SuspensionOut.of(*service.reinstate_org(state, caller, org_id))


@keys_router.get("", response_model=list[KeyOut], summary="The org's keys")
def keys(state: State, caller: Admin) -> list[KeyOut]:
    """Every key of the caller's org, revoked ones included; never a secret."""
    return [KeyOut.of(k) for k in service.keys(state, caller)]


@keys_router.post("", response_model=IssuedKeyOut, status_code=status.HTTP_201_CREATED, summary="Create a key")
def new_key(body: KeyCreate, state: State, caller: Admin) -> IssuedKeyOut:
    """A new key; the response holds its secret, which is shown this once."""
    issued = service.create_key(state, caller, frozenset(body.scopes), name=body.name, expires_at=body.expires_at)
    return IssuedKeyOut.issued(issued)


@keys_router.delete("/{key_id}", response_model=KeyOut, summary="Revoke a key")
def revoke(key_id: IdPath, state: State, caller: Admin) -> KeyOut:
    """Revoke a key of the caller's org; it stops working at once."""
    return KeyOut.of(service.revoke_key(state, caller, key_id))

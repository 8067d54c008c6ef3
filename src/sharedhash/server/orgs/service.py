"""Orgs and their API keys: what the endpoints (and any other caller) do, each write in one transaction with its
audit record. Queries are in :mod:`sharedhash.store.orgs`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sharedhash.errors import InvalidInputError, PermissionDeniedError
from sharedhash.server.state import HubState
from sharedhash.store import audit
from sharedhash.store import orgs as store
from sharedhash.store.models import ApiKey, Org, OrgSuspension, Scope
from sharedhash.store.visibility import Caller


def own_org(state: HubState, caller: Caller) -> Org:
    """The caller's org."""
    with state.db.reading() as session:
        return store.get_org(session, caller.org_id)


def all_orgs(state: HubState) -> list[Org]:
    """Every org on the hub (member orgs see each other's names, to share lists)."""
    with state.db.reading() as session:
        return store.list_orgs(session)


def create_org(state: HubState, caller: Caller, name: str) -> tuple[Org, store.IssuedKey]:
    """A new org with a first admin key; only the hub operator's admin keys may create one."""
    if not caller.is_operator:
        raise PermissionDeniedError("only the hub operator may create orgs")
    with state.db.writing() as session:
        org = store.create_org(session, name)
        issued = store.create_key(session, org.id, frozenset({Scope.ADMIN}), name="first admin key")
        audit.record(session, caller, "org.create", target=org.name)
    return org, issued


def keys(state: HubState, caller: Caller) -> list[ApiKey]:
    """Every key of the caller's org, revoked ones included."""
    with state.db.reading() as session:
        return store.list_keys(session, caller)


def create_key(
    state: HubState, caller: Caller, scopes: frozenset[Scope], *, name: str, expires_at: datetime | None
) -> store.IssuedKey:
    """A new key of the caller's org (its secret is in the result, this once)."""
    with state.db.writing() as session:
        issued = store.create_key(session, caller.org_id, scopes, name=name, expires_at=expires_at)
        audit.record(session, caller, "key.create", target=issued.key.prefix, detail={"scopes": issued.key.scopes})
    return issued


def revoke_key(state: HubState, caller: Caller, key_id: int) -> ApiKey:
    """Revoke a key of the caller's org; it stops working at once."""
    with state.db.writing() as session:
        key = store.revoke_key(session, caller, key_id)
        audit.record(session, caller, "key.revoke", target=key.prefix)
    return key


def _operator_target(session: Session, caller: Caller, org_id: int) -> Org:
    if not caller.is_operator:
        raise PermissionDeniedError("only the hub operator suspends or reinstates orgs")
    if org_id == caller.org_id:
        raise InvalidInputError("the hub operator cannot suspend or reinstate its own org")
    return store.get_org(session, org_id)


def suspend_org(state: HubState, caller: Caller, org_id: int, reason: str) -> tuple[Org, OrgSuspension]:
    """Suspend an org (hub operator only): its keys stop working at once, and the lists it owns are readable by
    nobody else (their feeds answer ``access_lost`` to the nodes that mirror them). Audited."""
    with state.db.writing() as session:
        org = _operator_target(session, caller, org_id)
        org, row = store.suspend_org(session, org.name, reason)
        audit.record(session, caller, "org.suspend", target=org.name, detail={"org": org.id, "reason": reason})
    return org, row


def reinstate_org(state: HubState, caller: Caller, org_id: int) -> tuple[Org, OrgSuspension]:
    """End an org's suspension (hub operator only): its keys work again. Audited."""
    with state.db.writing() as session:
        org = _operator_target(session, caller, org_id)
        org, row = store.reinstate_org(session, org.name)
        audit.record(session, caller, "org.reinstate", target=org.name, detail={"org": org.id})
    return org, row

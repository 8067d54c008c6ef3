"""Orgs and their API keys: what the endpoints (and any other caller) do, each write in one transaction with its
audit record. Queries are in :mod:`sharedhash.store.orgs`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from sharedhash.errors import InvalidInputError, PermissionDeniedError
from sharedhash.hub_errors import NameTakenError
from sharedhash.server.state import HubState
from sharedhash.store import audit
from sharedhash.store import orgs as store
from sharedhash.store.db import Database
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
        org, issued = store.create_org_with_key(session, name, is_operator=False)
        audit.record(session, caller, "org.create", target=org.name)
    return org, issued


def keys(state: HubState, caller: Caller) -> list[ApiKey]:
    """Every key of the caller's org, revoked ones included."""
    state.key_use.flush()  # last-used times are written in batches: the ones noted so far first
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


# The local operator: commands run on the server's own machine against its database (no API key; `sharedhash org
# create`, `sharedhash key create --org`). They take the database, not a running hub's state: caches of a running
# hub on the same database forget what these writes change within one follower round (store/changes.py).


def create_org_locally(
    db: Database, name: str, *, operator: bool, if_missing: bool
) -> tuple[Org, store.IssuedKey | None]:
    """A new org with a first admin key (the first org of a database is the hub operator).

    With ``if_missing``, an existing org of that name is returned without a key; otherwise it is an error that
    says how to get a key for it."""
    with db.writing() as session:
        existing = store.find_org(session, name)
        if existing is not None:
            if if_missing:
                return existing, None
            raise NameTakenError(
                f"an org named {name!r} exists already in this database (a `sync` may have created it)",
                hint=f"To get an admin key for it: sharedhash key create --org {name!r}. "
                "--if-missing makes `org create` do nothing when the org exists.",
            )
        org, issued = store.create_org_with_key(session, name, is_operator=True if operator else None)
        audit.record(session, store.caller_for_org(org), "org.create", target=org.name, detail={"by": "local operator"})
    return org, issued


def create_key_locally(
    db: Database, org_name: str, scopes: frozenset[Scope], *, name: str, expires_at: datetime | None
) -> store.IssuedKey:
    """A key for any org of this database, issued by its local operator (recovers a lost first admin key); audited
    under that org."""
    with db.writing() as session:
        org = store.get_org_by_name(session, org_name)
        issued = store.create_key(
            session, org.id, scopes, name=name or "issued by the local operator", expires_at=expires_at
        )
        detail = {"scopes": issued.key.scopes, "by": "local operator"}
        audit.record(session, store.caller_for_org(org), "key.create", target=issued.key.prefix, detail=detail)
    return issued

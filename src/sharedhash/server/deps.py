"""Request dependencies: the hub's shared state and the authenticated caller (Bearer API key)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from sharedhash.errors import AuthenticationError
from sharedhash.server.audit_buffer import AuditBuffer
from sharedhash.server.indexes import IndexSet
from sharedhash.settings import Settings
from sharedhash.store.db import Database
from sharedhash.store.models import Scope
from sharedhash.store.orgs import authenticate, touch_key
from sharedhash.store.visibility import Caller


@dataclass
class HubState:
    """What every request shares: settings, the database and the in-memory indexes."""

    settings: Settings
    db: Database
    indexes: IndexSet = field(default_factory=IndexSet)
    stop: threading.Event = field(default_factory=threading.Event)
    audit: AuditBuffer = field(init=False)

    def __post_init__(self) -> None:
        self.audit = AuditBuffer(self.db)


def get_state(request: Request) -> HubState:
    """The hub state of the running app."""
    state: HubState = request.app.state.hub
    return state


_bearer = HTTPBearer(auto_error=False, description="An org API key: `Authorization: Bearer shk_...`")


def get_caller(
    state: Annotated[HubState, Depends(get_state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The org behind the request's API key; every route but health and docs depends on this."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("no API key: send `Authorization: Bearer <key>`")
    with state.db.reading() as session:
        caller, stale = authenticate(session, credentials.credentials)
    if stale and caller.key_id is not None:
        with state.db.writing() as session:
            touch_key(session, caller.key_id)
    return caller


def scoped(scope: Scope) -> object:
    """A dependency that authenticates and then requires ``scope``."""

    def check(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        caller.require(scope)
        return caller

    return Depends(check)


State = Annotated[HubState, Depends(get_state)]
Reader = Annotated[Caller, scoped(Scope.READ)]
Contributor = Annotated[Caller, scoped(Scope.CONTRIBUTE)]
Admin = Annotated[Caller, scoped(Scope.ADMIN)]

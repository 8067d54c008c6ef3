"""Request dependencies: the hub's shared state (:mod:`sharedhash.server.state`) and the authenticated caller."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from sharedhash.errors import AuthenticationError
from sharedhash.hub_errors import InvalidTextError
from sharedhash.limits import MAX_ID, MAX_TEXT_CHARS, text_problem
from sharedhash.server.state import HubState
from sharedhash.store.models import Scope, utcnow
from sharedhash.store.orgs import KeyRecord, check_key
from sharedhash.store.security import split_token
from sharedhash.store.visibility import Caller


async def get_state(request: Request) -> HubState:
    """The hub state of the running app (async: FastAPI would run a plain function in its thread pool)."""
    state: HubState = request.app.state.hub
    return state


#: An id in a path: 1 to 2^63 - 1 (what the database holds); anything else is refused with 422 before any query.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]


async def clean_params(request: Request) -> None:
    """Every path and query parameter of every route (an app-wide dependency): text the hub may store and echo
    (:func:`sharedhash.limits.text_problem`) and at most ``MAX_TEXT_CHARS`` long, else 422 ``invalid_text``."""
    for where, items in (("path", list(request.path_params.items())), ("query", request.query_params.multi_items())):
        for name, value in items:
            if not isinstance(value, str):
                continue
            problem = text_problem(value)
            if problem is None and len(value) > MAX_TEXT_CHARS:
                problem = f"at most {MAX_TEXT_CHARS} characters"
            if problem is not None:
                raise InvalidTextError(f"{where} parameter {name}: {problem}", errors=[{"loc": [where, name]}])


_bearer = HTTPBearer(auto_error=False, description="An org API key: `Authorization: Bearer shk_...`")


def _record(state: HubState, prefix: str) -> KeyRecord | None:
    return state.caches.keys.get(state.db, prefix)


def _touch(state: HubState, record: KeyRecord, key_id: int) -> None:
    # Noted, not written: the background loop writes every key's time in one statement (issue 18 F10).
    when = utcnow()
    state.key_use.note(key_id, when)
    state.caches.keys.touched(record.prefix, when)


async def get_caller(
    state: Annotated[HubState, Depends(get_state)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The org behind the request's API key; every route but health and docs depends on this.

    Keys come from memory after their first use (see :mod:`sharedhash.server.memory.caches`); the secret is checked
    against the salted hash on every request. Only a miss leaves the event loop; the once-a-minute last-used time is
    noted in memory and written in batches (:mod:`sharedhash.server.memory.key_use`).
    """
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise AuthenticationError("no API key: send `Authorization: Bearer <key>`")
    parts = split_token(credentials.credentials)
    if parts is None:
        raise AuthenticationError("the API key is malformed")
    prefix, secret = parts
    record = state.caches.keys.get_cached(prefix)
    if record is None:
        record = await run_in_threadpool(_record, state, prefix)
    caller, stale = check_key(record, secret)
    if stale and caller.key_id is not None and record is not None:
        _touch(state, record, caller.key_id)
    return caller


def scoped(scope: Scope) -> object:
    """A dependency that authenticates and then requires ``scope``."""

    async def check(caller: Annotated[Caller, Depends(get_caller)]) -> Caller:
        caller.require(scope)
        return caller

    return Depends(check)


State = Annotated[HubState, Depends(get_state)]
Reader = Annotated[Caller, scoped(Scope.READ)]
Contributor = Annotated[Caller, scoped(Scope.CONTRIBUTE)]
Admin = Annotated[Caller, scoped(Scope.ADMIN)]

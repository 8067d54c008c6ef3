"""The signed-in person of a request (the session cookie) and the CSRF check of JSON requests from the pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from sharedhash.server.accounts import service
from sharedhash.server.accounts.errors import CsrfFailedError, SessionRequiredError
from sharedhash.server.accounts.service import Who
from sharedhash.server.deps import State

#: The session cookie (HttpOnly, SameSite=Strict, Secure outside loopback).
COOKIE = "sh_session"
CSRF_HEADER = "x-csrf-token"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


def secure_cookie(request: Request) -> bool:
    """Whether the cookie gets ``Secure``: always, except when the page is served on a loopback address."""
    return (request.url.hostname or "") not in LOOPBACK


def client_address(request: Request) -> str:
    """The client's address as the server sees it (the sign-in throttle's key)."""
    return request.client.host if request.client else "unknown"


async def optional_person(request: Request, state: State) -> Who | None:
    """The person signed in with the request's cookie, or None."""
    token = request.cookies.get(COOKIE)
    if not token or len(token) > 200:
        return None
    return await run_in_threadpool(service.session_of, state.db, state.settings, token)


async def current_person(who: Annotated[Who | None, Depends(optional_person)]) -> Who:
    """The signed-in person, else 401 ``session_required``."""
    if who is None:
        raise SessionRequiredError("sign in first")
    return who


async def csrf_person(request: Request, state: State, who: Annotated[Who, Depends(current_person)]) -> Who:
    """The signed-in person of a state-changing JSON request, which must carry the session's CSRF token in the
    ``X-CSRF-Token`` header; a missing or forged token is refused (403 ``csrf_failed``) and recorded."""
    try:
        service.check_csrf(who, request.headers.get(CSRF_HEADER))
    except CsrfFailedError:
        await run_in_threadpool(service.refuse_csrf, state.db, who, request.url.path)
        raise
    return who


SignedIn = Annotated[Who, Depends(current_person)]
MaybeSignedIn = Annotated[Who | None, Depends(optional_person)]
Writer = Annotated[Who, Depends(csrf_person)]

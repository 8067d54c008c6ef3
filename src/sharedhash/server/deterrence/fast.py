"""The fast path of deterrence checks: an ASGI middleware that answers well-formed checks without FastAPI.

A check's own work is tens of microseconds (the matcher); FastAPI's routing, dependencies, the thread-pool hop
and the response machinery took about ten times that (measured with ``bench/deterrence_http.py --profile``).
The middleware takes only requests it is sure of and gives everything else, with its body, to the routes in
``server/deterrence/routes.py``, so every refusal and error still comes from one place:

- ``POST /v1/deterrence/check`` and ``.../check.html`` with a cached, valid key that has the read scope and a fresh
  last-used time, and no ``explain``;
- ``POST /v1/orgs/{org}/deterrence/check`` and ``.../check.html`` for an org known from memory (public mode and
  the rate limits are applied here, exactly as in the route);
- and only when the org's rules are compiled and, for a deterred query, its help links are known (the first
  link of a rule and resource is written to the database by the route, in the thread pool).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sharedhash.errors import RateLimitedError, SharedhashError
from sharedhash.server.asgi import answer_or_forward, error_response
from sharedhash.server.auth import bearer_parts, fresh_cached_caller
from sharedhash.server.deterrence.answers import (
    answer_html,
    answer_json,
    no_public_check,
    parse_check,
    public_allowed,
    rate_limited,
)
from sharedhash.server.deterrence.service import DeterrenceService
from sharedhash.server.state import HubState
from sharedhash.store.models import Scope as KeyScope

_PRIVATE = {"/v1/deterrence/check": False, "/v1/deterrence/check.html": True}
_PUBLIC_PREFIX = "/v1/orgs/"
_PUBLIC_SUFFIXES = (("/deterrence/check", False), ("/deterrence/check.html", True))


def route_of(path: str) -> tuple[str | None, bool] | None:
    """``(org or None, html)`` for a check path (``org`` for the public paths), else ``None``."""
    html = _PRIVATE.get(path)
    if html is not None:
        return None, html
    if path.startswith(_PUBLIC_PREFIX):
        for suffix, html in _PUBLIC_SUFFIXES:
            if path.endswith(suffix):
                org = path[len(_PUBLIC_PREFIX) : -len(suffix)]
                if org and "/" not in org:
                    return org, html
    return None


class FastDeterrence:
    """ASGI middleware: deterrence checks it is sure of, answered on the event loop (see the module docstring)."""

    def __init__(self, app: ASGIApp, state: HubState, service: DeterrenceService) -> None:
        self.app = app
        self.state = state
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = route_of(scope["path"]) if scope["type"] == "http" and scope["method"] == "POST" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        org, html = route

        async def answer(body: bytes) -> Response | None:
            try:
                return self._answer(scope, org, html, body)
            except SharedhashError:
                return None  # the route answers it, the same way as always

        await answer_or_forward(self.app, scope, receive, send, answer)

    def _answer(self, scope: Scope, org: str | None, html: bool, body: bytes) -> Response | None:
        service = self.service
        found = None
        if org is None:
            org_id = self._caller_org(scope)
        else:
            known, found = service.public_org_cached(org)
            if not known:
                return None  # the route asks the database
            if found is None:
                # No public check for this name: an org without public mode and an unknown name take this same
                # path and get the same answer, without parsing the body (no timing oracle, issue 18 F11).
                return error_response(no_public_check())
            org_id = found[0]
        if org_id is None:
            return None
        check = parse_check(body)
        if check.explain or not service.rules.is_built(org_id):
            return None
        if org is not None:
            # Last, so that a request the route answers instead is counted against the limits only once.
            client = scope.get("client")
            try:
                public_allowed(service, found, client[0] if client else None)
            except RateLimitedError as exc:
                return rate_limited(exc)
        answer = service.check(org_id, check.query, check.locale, check.country)
        message: Any = None
        top = answer.result.top
        if answer.message is not None and top is not None:
            if not service.links_cached(org_id, top.rule.rule_id, answer.message):
                # Rare (a rule's first deterred query for a resource): the link is written to the database in
                # the thread pool; the check itself is done and counted, so the route is not asked again.
                return _Deferred(service, org_id, top.rule.rule_id, answer, html, str(Request(scope).base_url))
            message = service.with_links(org_id, top.rule.rule_id, answer.message, str(Request(scope).base_url))
        return answer_html(message) if html else answer_json(answer, message, False)

    def _caller_org(self, scope: Scope) -> int | None:
        """The org of a cached, valid read key with a fresh last-used time, else ``None`` (the route decides)."""
        authorization = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
                break
        parts = bearer_parts(authorization)
        caller = fresh_cached_caller(self.state, parts, KeyScope.READ) if parts is not None else None
        return caller.org_id if caller is not None else None


class _Deferred(Response):
    """A deterred answer whose help links need a database write first: done in the thread pool when sent."""

    def __init__(self, service: DeterrenceService, org_id: int, rule_id: str, answer: Any, html: bool, base: str):
        super().__init__()
        self._work = (service, org_id, rule_id, answer, html, base)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        service, org_id, rule_id, answer, html, base = self._work
        message = await run_in_threadpool(service.with_links, org_id, rule_id, answer.message, base)
        response = answer_html(message) if html else answer_json(answer, message, False)
        await response(scope, receive, send)

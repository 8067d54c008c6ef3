"""What the fast paths share (``server/lookup/fast.py``, ``server/act/fast.py``, ``server/act/batchfast.py``): an
ASGI middleware in front of one JSON ``POST`` route that answers the requests it is sure of and hands every other
one, body included, to the app unchanged."""

from __future__ import annotations

from typing import ClassVar

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sharedhash.errors import SharedhashError
from sharedhash.server.asgi import answer_or_forward, error_response
from sharedhash.server.auth import bearer_parts, fresh_cached_caller
from sharedhash.server.state import HubState
from sharedhash.store.models import Scope as KeyScope
from sharedhash.store.visibility import Caller


class FastJsonPost:
    """Base of a fast path for ``POST`` :attr:`path` without a query string (the route refuses what it does not
    take). :meth:`answer` gives the response, or None to let the route answer; an error it raises is answered as
    the route answers it."""

    path: ClassVar[str]

    def __init__(self, app: ASGIApp, state: HubState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != self.path
            or scope.get("query_string")
        ):
            await self.app(scope, receive, send)
            return

        async def answer(body: bytes) -> Response | None:
            try:
                return await self.answer(scope, body)
            except SharedhashError as exc:
                return error_response(exc)

        await answer_or_forward(self.app, scope, receive, send, answer)

    async def answer(self, scope: Scope, body: bytes) -> Response | None:
        raise NotImplementedError

    def json_caller(self, scope: Scope) -> Caller | None:
        """The caller of a JSON request whose key is cached, valid, of the read scope and freshly used; None for
        anything else (the route then answers, with its own refusal)."""
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        parts = bearer_parts(headers.get(b"authorization", b""))
        if content_type != b"application/json" or parts is None:
            return None
        return fresh_cached_caller(self.state, parts, KeyScope.READ)

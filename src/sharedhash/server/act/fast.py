"""The single-check fast path: an ASGI middleware in front of ``POST /v1/content`` with a JSON body (see
:class:`FastContentCheck`); its equivalence with the route is tested in ``tests/server/test_act_fast.py``."""

from __future__ import annotations

from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from sharedhash.errors import SharedhashError
from sharedhash.server.act import service
from sharedhash.server.act.schemas import ContentCheckOut, ContentHashesIn
from sharedhash.server.asgi import answer_or_forward, error_response
from sharedhash.server.auth import bearer_parts, fresh_cached_caller
from sharedhash.server.state import HubState
from sharedhash.store.models import Scope as KeyScope

#: Bodies up to this size are taken here (a single check's is a few hundred bytes); larger ones (many hashes, long
#: metadata) go to the route, which parses large bodies off the event loop.
FAST_BODY_BYTES = 16 * 1024

_OUT = TypeAdapter(ContentCheckOut)


class FastContentCheck:
    """ASGI middleware: answers a well-formed, authorised hash-only ``POST /v1/content`` without FastAPI's routing
    and dependency machinery, through the same service call as the route (the check, its matches, rules, events
    and the group commit are the service's).

    It takes only requests it is sure of: ``Content-Type: application/json``, no query string, a small body the
    route's own model (``ContentHashesIn``) accepts, and a cached, valid key with the read scope whose last-used
    time is fresh. Anything else (multipart file uploads, malformed bodies, unknown or stale keys) goes to the app
    unchanged, with its body, so every refusal comes from the one normal path; errors the service raises are
    answered as the app's handler answers them."""

    def __init__(self, app: ASGIApp, state: HubState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or scope["path"] != "/v1/content"
            or scope.get("query_string")
        ):
            await self.app(scope, receive, send)
            return

        async def answer(body: bytes) -> Response | None:
            try:
                return await self._answer(scope, body)
            except SharedhashError as exc:
                return error_response(exc)

        await answer_or_forward(self.app, scope, receive, send, answer)

    async def _answer(self, scope: Scope, body: bytes) -> Response | None:
        if len(body) > FAST_BODY_BYTES:
            return None
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        parts = bearer_parts(headers.get(b"authorization", b""))
        if content_type != b"application/json" or parts is None:
            return None
        caller = fresh_cached_caller(self.state, parts, KeyScope.READ)
        if caller is None:
            return None
        try:
            parsed = ContentHashesIn.model_validate_json(body)
        except ValidationError:
            return None  # the route refuses it, with the field and the reason
        meta = service.ContentMeta(
            content_id=parsed.content_id,
            content_type=parsed.content_type,
            uploader_id=parsed.uploader_id,
            uploaded_at=parsed.uploaded_at,
            url=parsed.url,
            labels=tuple(parsed.labels),
        )
        items = [(meta, [(h.hash_type, h.value) for h in parsed.hashes])]
        (answer,) = await run_in_threadpool(service.check_hashes, self.state, caller, items)
        # Serialised as FastAPI serialises the route's response model (validated, then dumped to JSON by pydantic).
        return Response(_OUT.dump_json(_OUT.validate_python(answer)), media_type="application/json")

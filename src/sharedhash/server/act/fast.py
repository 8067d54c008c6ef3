"""The single-check fast path: an ASGI middleware in front of ``POST /v1/content`` with a JSON body (see
:class:`FastContentCheck`); its equivalence with the route is tested in ``tests/server/test_act_fast.py``."""

from __future__ import annotations

import orjson
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Scope

from sharedhash.server.act import service
from sharedhash.server.act.batchfast import Item, check_answer_json, plain_item
from sharedhash.server.act.schemas import ContentHashesIn, content_meta
from sharedhash.server.fastpath import FastJsonPost

#: Bodies up to this size are taken here (a single check's is a few hundred bytes); larger ones (many hashes, long
#: metadata) go to the route, which parses large bodies off the event loop.
FAST_BODY_BYTES = 16 * 1024


class FastContentCheck(FastJsonPost):
    """ASGI middleware: answers a well-formed, authorised hash-only ``POST /v1/content`` without FastAPI's routing
    and dependency machinery, through the same service call as the route (the check, its matches, rules, events
    and the group commit are the service's).

    It takes only requests it is sure of: ``Content-Type: application/json``, no query string, a small body the
    route's own model (``ContentHashesIn``) accepts, and a cached, valid key with the read scope whose last-used
    time is fresh. Anything else (multipart file uploads, malformed bodies, unknown or stale keys) goes to the app
    unchanged, with its body, so every refusal comes from the one normal path; errors the service raises are
    answered as the app's handler answers them."""

    path = "/v1/content"

    async def answer(self, scope: Scope, body: bytes) -> Response | None:
        if len(body) > FAST_BODY_BYTES:
            return None
        caller = self.json_caller(scope)
        if caller is None:
            return None
        item = _plain_check(body)
        if item is None:
            try:
                parsed = ContentHashesIn.model_validate_json(body)
            except ValidationError:
                return None  # the route refuses it, with the field and the reason
            item = (content_meta(parsed), [(h.hash_type, h.value) for h in parsed.hashes])
        items = [item]
        if service.inline(items):
            # Matched on the loop like a lookup of as many hashes; the write is the group commit's thread's.
            (answer,) = await service.check_hashes_inline(self.state, caller, items)
        else:
            (answer,) = await run_in_threadpool(service.check_hashes, self.state, caller, items)
        # Byte for byte what FastAPI makes of the route's response model (tests/server/test_act_fast.py), without
        # validating the model first (a tenth of a check's time on the loop).
        return Response(check_answer_json(answer), media_type="application/json")


def _plain_check(body: bytes) -> Item | None:
    """The check of a body in its plain form, checked by hand as a batch's items are (:func:`plain_item`: the
    model's rules without a model); None for anything else, which the model then reads (a tenth of a check's CPU
    time on the loop went to the model's validation)."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return plain_item(data)

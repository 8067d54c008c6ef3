"""The lookup fast path: an ASGI middleware in front of ``POST /v1/lookup`` (see :class:`FastLookup`); its
equivalence with the route is tested in ``tests/server/test_lookup_fast.py``."""

from __future__ import annotations

from functools import lru_cache

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Scope

from sharedhash.errors import LimitExceededError, SharedhashError
from sharedhash.hashing import hash_type_names
from sharedhash.limits import PDQ_THRESHOLD_MAX
from sharedhash.server.asgi import error_response
from sharedhash.server.bodies import C_PARSE_BYTES, LARGE_BODY_BYTES, body_in_child
from sharedhash.server.fastpath import FastJsonPost
from sharedhash.server.lookup.service import INLINE_HASHES, lookup_json_of, too_many_hashes, validate_queries
from sharedhash.server.schemas import HASH_VALUE_MAX


class FastLookup(FastJsonPost):
    """ASGI middleware: answers a well-formed, authorised ``POST /v1/lookup`` without FastAPI's routing and
    dependency machinery (about half the time of a single-hash lookup went there).

    It takes only requests it is sure of: a JSON body the route's own model accepts, a cached, valid key with the
    read scope whose last-used time is fresh, and hashes that validate. Anything else goes to the app unchanged
    (with its body), so every refusal and error comes from the one normal path.
    """

    path = "/v1/lookup"

    async def answer(self, scope: Scope, body: bytes) -> Response | None:
        caller = self.json_caller(scope)
        if caller is None:
            return None
        # A large body is parsed in a worker thread, a very large one by the route (which parses it in a way that
        # lets the loop run meanwhile, see server/bodies.py): the loop never spends more than milliseconds on one.
        # A very large one that only holds too many hashes (a flood of them is the hostile case) is counted in the
        # child process and refused here, with the route's own error, without making its objects in this process.
        if len(body) > C_PARSE_BYTES:
            limit = self.state.settings.max_lookup_hashes
            count = await body_in_child(plain_lookup_count, body)
            return error_response(too_many_hashes(count, limit)) if count is not None and count > limit else None
        parsed = (
            plain_lookup_body(body)
            if len(body) <= LARGE_BODY_BYTES
            else await run_in_threadpool(plain_lookup_body, body)
        )
        if parsed is None:
            return None
        limit = self.state.settings.max_lookup_hashes
        try:
            items, max_distance = parsed
            inline = len(items) <= INLINE_HASHES
            if inline:
                queries = validate_queries(items, limit)
            else:
                queries = await run_in_threadpool(validate_queries, items, limit)
        except LimitExceededError as exc:
            # The route would refuse it with this very error, after validating every item of the body again.
            return error_response(exc) if len(items) > limit else None
        except SharedhashError:
            return None
        if inline:
            return Response(lookup_json_of(self.state, caller, queries, max_distance), media_type="application/json")
        body = await run_in_threadpool(lookup_json_of, self.state, caller, queries, max_distance)
        return Response(body, media_type="application/json")


def plain_lookup_body(body: bytes) -> tuple[list[tuple[str, str]], int | None] | None:
    """The hashes and ``max_distance`` of a lookup body in its plain form, or None for anything else.

    Checked by hand rather than by ``LookupIn`` (a third of a 1,000-hash lookup's Python time went to the model):
    a body passes only if the model would accept it unchanged: known hash types, values of strings within the
    length limit and without NUL, no other fields. Anything else (including what the model would coerce) returns
    None and takes the normal route, so every error comes from there.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if type(data) is not dict or not 1 <= len(data) <= 2:
        return None
    hashes, max_distance = data.get("hashes"), data.get("max_distance")
    if type(hashes) is not list or not hashes or len(data) != 1 + ("max_distance" in data):
        return None
    if max_distance is not None and (type(max_distance) is not int or not 0 <= max_distance <= PDQ_THRESHOLD_MAX):
        return None
    known = _known_types()
    items: list[tuple[str, str]] = []
    for item in hashes:
        if type(item) is not dict or len(item) != 2:
            return None
        hash_type, value = item.get("hash_type"), item.get("value")
        if hash_type not in known or type(value) is not str or not 0 < len(value) <= HASH_VALUE_MAX:
            return None
        items.append((hash_type, value))
    if any("\x00" in value for _, value in items):
        return None
    return items, max_distance


def plain_lookup_count(body: bytes) -> int | None:
    """How many hashes a lookup body in its plain form holds (None for anything else); run in the child process
    (server/bodies.py), so only the count comes back."""
    parsed = plain_lookup_body(body)
    return None if parsed is None else len(parsed[0])


@lru_cache(maxsize=1)
def _known_types() -> frozenset[str]:
    # Registered names all fit the schema's hash-type pattern; the registry never changes in a running server.
    return frozenset(hash_type_names())

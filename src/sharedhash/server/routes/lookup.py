"""``/v1/lookup`` (hashes) and ``/v1/lookup/file`` (a file hashed in memory and discarded)."""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, File, Form, Response, UploadFile
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from sharedhash.errors import LimitExceededError, SharedhashError, UnsupportedMediaError
from sharedhash.hashing import hash_type_names
from sharedhash.server.deps import HubState, Reader, State
from sharedhash.server.fast_path import answer_or_forward, error_answer
from sharedhash.server.lookup import Query, lookup, validate_queries
from sharedhash.server.schemas import HASH_VALUE_MAX, FileLookupOut, LookupIn, LookupOut, MatchOut
from sharedhash.store.lists import PDQ_THRESHOLD_MAX
from sharedhash.store.models import Scope as KeyScope
from sharedhash.store.orgs import check_key
from sharedhash.store.security import split_token
from sharedhash.store.visibility import Caller

router = APIRouter(prefix="/v1/lookup", tags=["lookup"])


#: Lookups this small are answered on the event loop (from memory, in well under a millisecond); larger ones go to
#: the thread pool, where the index search runs without holding up other requests.
INLINE_HASHES = 8


@router.post("", response_model=LookupOut, summary="Look up hashes")
async def lookup_hashes(body: LookupIn, state: State, caller: Reader) -> Response:
    """Every match of up to 10,000 hashes among the lists the caller may read."""
    items = [(h.hash_type, h.value) for h in body.hashes]
    if len(items) <= INLINE_HASHES:
        return _answer(state, caller, validate_queries(items, state.settings.max_lookup_hashes), body.max_distance)
    return await run_in_threadpool(_validate_and_answer, state, caller, items, body.max_distance)


def _validate_and_answer(
    state: HubState, caller: Caller, items: list[tuple[str, str]], max_distance: int | None
) -> Response:
    return _answer(state, caller, validate_queries(items, state.settings.max_lookup_hashes), max_distance)


def _answer(state: HubState, caller: Caller, queries: list[Query], max_distance: int | None) -> Response:
    matches = lookup(
        state.db, state.indexes, state.caches, caller, queries, max_distance=max_distance, audit_log=state.audit
    )
    # The dicts already have MatchOut's shape (tests compare them with the schema); pydantic would only copy them.
    return Response(orjson.dumps({"queried": len(queries), "matches": matches}), media_type="application/json")


@router.post("/file", response_model=FileLookupOut, summary="Hash a file in memory and look it up")
def lookup_file(
    state: State,
    caller: Reader,
    file: Annotated[UploadFile, File(description="The image or file; it is hashed in memory and discarded.")],
    dihedral: Annotated[bool, Form(description="Also match rotated and mirrored copies (PDQ).")] = False,
    max_distance: Annotated[int | None, Form(ge=0, le=63)] = None,
) -> FileLookupOut:
    """Hash the upload (PDQ for images, md5/sha1/sha256 for any file) and look the hashes up; nothing is kept."""
    from sharedhash.hashing.media import hash_media

    limit = state.settings.max_file_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise LimitExceededError(f"the file is over the limit of {limit} bytes")
    try:
        media = hash_media(data, dihedral=dihedral)
    except UnsupportedMediaError:
        # Not an image (a video, a document): its exact hashes can still match.
        media = hash_media(data, ("md5", "sha1", "sha256"))
    del data
    items = sorted(media.hashes.items())
    queries = [Query(i, t, v) for i, (t, v) in enumerate(items)]
    if dihedral and media.pdq_dihedral:
        extra = [v for v in media.pdq_dihedral if v != media.hashes.get("pdq")]
        queries += [Query(len(items) + i, "pdq", v) for i, v in enumerate(extra)]
    matches = lookup(
        state.db, state.indexes, state.caches, caller, queries, max_distance=max_distance, audit_log=state.audit
    )
    # Dihedral variants report as the file's own pdq query.
    pdq_position = next((i for i, (t, _) in enumerate(items) if t == "pdq"), None)
    seen: set[tuple[int, int]] = set()
    unique: list[dict[str, Any]] = []
    for m in sorted(matches, key=lambda m: m["distance"]):
        if m["query"] >= len(items):
            m["query"] = pdq_position if pdq_position is not None else m["query"]
        if (m["query"], m["entry_id"]) not in seen:
            seen.add((m["query"], m["entry_id"]))
            unique.append(m)
    return FileLookupOut(
        queried=len(items),
        matches=[MatchOut(**m) for m in sorted(unique, key=lambda m: (m["query"], m["distance"]))],
        hash_types=[t for t, _ in items],
        pdq_quality=media.pdq_quality,
    )


class FastLookup:
    """ASGI middleware: answers a well-formed, authorised ``POST /v1/lookup`` without FastAPI's routing and
    dependency machinery (about half the time of a single-hash lookup went there).

    It takes only requests it is sure of: a JSON body the route's own model accepts, a cached, valid key with the
    read scope whose last-used time is fresh, and hashes that validate. Anything else goes to the app unchanged
    (with its body), so every refusal and error comes from the one normal path.
    """

    def __init__(self, app: ASGIApp, state: HubState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != "/v1/lookup":
            await self.app(scope, receive, send)
            return

        async def answer(body: bytes) -> Response | None:
            try:
                return await self._answer(scope, body)
            except SharedhashError as exc:
                return error_answer(exc)

        await answer_or_forward(self.app, scope, receive, send, answer)

    async def _answer(self, scope: Scope, body: bytes) -> Response | None:
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        parts = split_token(token) if scheme.lower() == "bearer" else None
        if content_type != b"application/json" or parts is None:
            return None
        record = self.state.caches.keys.get_cached(parts[0])
        try:
            caller, stale = check_key(record, parts[1])
            parsed = plain_lookup_body(body)
            if parsed is None or stale or not caller.has(KeyScope.READ):
                return None
            items, max_distance = parsed
            inline = len(items) <= INLINE_HASHES
            if inline:
                queries = validate_queries(items, self.state.settings.max_lookup_hashes)
            else:
                queries = await run_in_threadpool(validate_queries, items, self.state.settings.max_lookup_hashes)
        except SharedhashError:
            return None
        if inline:
            return _answer(self.state, caller, queries, max_distance)
        return await run_in_threadpool(_answer, self.state, caller, queries, max_distance)


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


@lru_cache(maxsize=1)
def _known_types() -> frozenset[str]:
    # Registered names all fit the schema's hash-type pattern; the registry never changes in a running server.
    return frozenset(hash_type_names())


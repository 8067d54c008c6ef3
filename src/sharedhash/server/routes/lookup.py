"""``/v1/lookup`` (hashes) and ``/v1/lookup/file`` (a file hashed in memory and discarded)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from sharedhash.errors import LimitExceededError, UnsupportedMediaError
from sharedhash.server.deps import HubState, Reader, State
from sharedhash.server.lookup import Query, lookup, validate_queries
from sharedhash.server.schemas import FileLookupOut, LookupIn, LookupOut, MatchOut
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
        return _answer(state, caller, items, body.max_distance)
    return await run_in_threadpool(_answer, state, caller, items, body.max_distance)


def _answer(state: HubState, caller: Caller, items: list[tuple[str, str]], max_distance: int | None) -> Response:
    queries = validate_queries(items, state.settings.max_lookup_hashes)
    matches = lookup(
        state.db, state.indexes, state.caches, caller, queries, max_distance=max_distance, audit_log=state.audit
    )
    # The dicts already have MatchOut's shape (tests compare them with the schema); pydantic would only copy them.
    body = json.dumps({"queried": len(queries), "matches": matches}, separators=(",", ":"), ensure_ascii=False)
    return Response(body.encode(), media_type="application/json")


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

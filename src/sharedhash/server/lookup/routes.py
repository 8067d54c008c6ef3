"""``/v1/lookup`` (hashes) and ``/v1/lookup/file`` (a file hashed in memory and discarded).

``POST /v1/lookup`` has a fast path beside it (:mod:`sharedhash.server.lookup.fast`) that answers the requests it
is sure of with the same service; everything else comes here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from sharedhash.errors import InvalidInputError
from sharedhash.limits import PDQ_THRESHOLD_MAX
from sharedhash.server.bodies import count_limit
from sharedhash.server.deps import Reader, State
from sharedhash.server.lookup import service
from sharedhash.server.lookup.schemas import FileHashOut, FileLookupOut, LookupIn, LookupOut, MatchOut
from sharedhash.server.lookup.service import too_many_hashes
from sharedhash.server.state import HubState
from sharedhash.store.visibility import Caller

router = APIRouter(prefix="/v1/lookup", tags=["lookup"])
# A large lookup over the limit is refused once the body-checking process has counted it (server/bodies.py).
count_limit(LookupIn, "hashes", lambda request: request.app.state.hub.settings.max_lookup_hashes, too_many_hashes)


def json_response(body: bytes) -> Response:
    """A lookup answer (the JSON of ``LookupOut``, built by the service)."""
    return Response(body, media_type="application/json")


@router.post("", response_model=LookupOut, summary="Look up hashes")
async def lookup_hashes(
    body: LookupIn,
    state: State,
    caller: Reader,
    dihedral: Annotated[
        str | None, Query(max_length=16, description="Refused: hashes cannot be turned; see /v1/lookup/file.")
    ] = None,
) -> Response:
    """Every match of up to 10,000 hashes among the lists the caller may read."""
    if dihedral is not None:
        raise InvalidInputError(
            "dihedral does not apply to a lookup of hashes",
            hint="Upload the file to /v1/lookup/file with dihedral=true, or send the hashes of its rotated and "
            "mirrored copies (`sharedhash hash --dihedral`).",
        )
    if len(body.hashes) <= service.INLINE_HASHES:
        items = [(h.hash_type, h.value) for h in body.hashes]
        return json_response(service.lookup_json(state, caller, items, body.max_distance))
    # Even listing a large body's hashes is left to the pool: the loop does no per-hash work (issue 18 F4).
    return await run_in_threadpool(_in_pool, state, caller, body)


def _in_pool(state: HubState, caller: Caller, body: LookupIn) -> Response:
    items = [(h.hash_type, h.value) for h in body.hashes]
    return json_response(service.lookup_json(state, caller, items, body.max_distance))


@router.post("/file", response_model=FileLookupOut, summary="Hash a file in memory and look it up")
def lookup_file(
    state: State,
    caller: Reader,
    file: Annotated[
        UploadFile,
        File(
            description="The image, video or file; an image is hashed in memory, a video in a temporary file that is "
            "deleted at once; nothing is kept."
        ),
    ],
    dihedral: Annotated[bool, Form(description="Also match rotated and mirrored copies (PDQ).")] = False,
    max_distance: Annotated[int | None, Form(ge=0, le=PDQ_THRESHOLD_MAX)] = None,
    dihedral_query: Annotated[
        bool | None, Query(alias="dihedral", description="The same as the form field (either may be given).")
    ] = None,
) -> FileLookupOut:
    """Hash the upload (PDQ for images, vPDQ for videos, md5/sha1/sha256 for any file) and look the hashes up;
    a video also matches listed images by its frames. Nothing is kept. The answer holds the file's own hashes
    and, with ``dihedral``, which variant of the file each PDQ match is of."""
    if dihedral_query is not None and dihedral_query != dihedral and dihedral:
        raise InvalidInputError("dihedral is given twice, as a form field and in the query, with different values")
    wanted = dihedral or bool(dihedral_query)
    found = service.lookup_upload(state, caller, file.file, dihedral=wanted, max_distance=max_distance)
    return FileLookupOut(
        queried=found.queried,
        matches=[MatchOut(**m) for m in found.matches],
        hash_types=found.hash_types,
        pdq_quality=found.quality,
        hashes=[FileHashOut(**h) for h in found.hashes],
    )

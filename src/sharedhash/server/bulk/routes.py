"""``/v1/hash-lists/{id}/import`` and ``/export``: JSON lines or CSV, streamed both ways.

An import body is spooled to a temporary file as it arrives (never held whole in memory), then handed to the bulk
service in the thread pool.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from sharedhash.server.bulk import service
from sharedhash.server.bulk.schemas import ImportOut
from sharedhash.server.bulk.service import BulkFormat
from sharedhash.server.deps import Contributor, IdPath, Reader, State

router = APIRouter(prefix="/v1/hash-lists", tags=["bulk"])

_SPOOL_IN_MEMORY = 1024 * 1024


@router.post(
    "/{list_id}/import",
    response_model=ImportOut,
    summary="Bulk-add entries (JSON lines or CSV)",
    responses={400: {"model": ImportOut, "description": "Bad lines: nothing was written"}},
    openapi_extra={
        "requestBody": {
            "content": {
                "application/x-ndjson": {"schema": {"type": "string"}},
                "text/csv": {"schema": {"type": "string"}},
            }
        }
    },
)
async def import_list(
    list_id: IdPath,
    request: Request,
    state: State,
    caller: Contributor,
    format: Annotated[BulkFormat, Query(description="jsonl (default) or csv")] = BulkFormat.JSONL,
) -> JSONResponse:
    """Add every entry of the body, all or nothing. Lines whose hashes are already in the list count as existing."""
    # The list's permission first: a body for a list the caller may not write to is never read (issue 18).
    await run_in_threadpool(service.check_import_allowed, state, caller, list_id)
    with tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY) as spool:
        async for chunk in request.stream():
            spool.write(chunk)
        spool.seek(0)
        cancelled = threading.Event()
        watcher = asyncio.create_task(_watch_disconnect(request, cancelled))
        try:
            outcome = await run_in_threadpool(service.run_import, state, caller, list_id, format, spool, cancelled)
        except service.ImportCancelled:
            return JSONResponse({}, status_code=499)  # nobody reads it: the client went away
        finally:
            watcher.cancel()
    return JSONResponse(outcome.model_dump(mode="json"), status_code=200 if outcome.committed else 400)


async def _watch_disconnect(request: Request, cancelled: threading.Event) -> None:
    """Set ``cancelled`` when the client goes away (the body has been read: what comes next is the disconnect)."""
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            cancelled.set()
            return


@router.get(
    "/{list_id}/export",
    summary="Download every entry (JSON lines or CSV)",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/x-ndjson": {}, "text/csv": {}}}},
)
def export_list(
    list_id: IdPath,
    state: State,
    caller: Reader,
    format: Annotated[BulkFormat, Query(description="jsonl (default) or csv")] = BulkFormat.JSONL,
) -> StreamingResponse:
    """The list's active entries, streamed in batches, in a form ``import`` accepts."""
    media = "application/x-ndjson" if format is BulkFormat.JSONL else "text/csv"
    return StreamingResponse(service.export(state, caller, list_id, format), media_type=media)

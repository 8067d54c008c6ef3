"""``/v1/hash-lists/{id}/feed``: a list's change feed, in ``seq`` order."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from sharedhash.limits import MAX_CURSOR_CHARS, MAX_FEED_PAGE
from sharedhash.server.deps import IdPath, Reader, State
from sharedhash.server.feed import service
from sharedhash.server.feed.schemas import FeedPageOut

router = APIRouter(prefix="/v1/hash-lists", tags=["hash lists"])


@router.get("/{list_id}/feed", response_model=FeedPageOut, summary="The list's change feed")
def feed(
    list_id: IdPath,
    state: State,
    caller: Reader,
    after: str | None = Query(default=None, max_length=MAX_CURSOR_CHARS, description="A `next_cursor`; omit to start."),
    limit: int = Query(default=1000, ge=1, le=MAX_FEED_PAGE),
) -> Response:
    """Adds, updates and tombstones in ``seq`` order; replaying from the start rebuilds the list exactly."""
    # The body is built from the stored snapshot text; its shape is FeedPageOut.
    return Response(service.feed_page_json(state, caller, list_id, after, limit), media_type="application/json")

"""A list's change feed, read for a caller. Queries are in :mod:`sharedhash.store.feed`."""

from __future__ import annotations

from sharedhash.server.state import HubState
from sharedhash.store.feed import read_feed_json
from sharedhash.store.lists import get_readable_list
from sharedhash.store.visibility import Caller


def feed_page_json(state: HubState, caller: Caller, list_id: int, after: str | None, limit: int) -> bytes:
    """A page of the feed of a list the caller may read, as the JSON of ``FeedPageOut`` (built from the stored
    snapshot text, see :func:`sharedhash.store.feed.read_feed_json`)."""
    with state.db.reading() as session:
        hash_list = get_readable_list(session, caller, list_id)
        return read_feed_json(session, hash_list, after, limit)

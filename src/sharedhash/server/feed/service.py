"""A list's change feed, read for a caller. Queries are in :mod:`sharedhash.store.feed`.

An org that has read a list's feed is remembered (``feed_readers``): when its access ends, the feed tells it so
(``access_lost`` with the reason), and a node mirroring the list purges its mirror; an org that never read the
feed learns nothing about the list (404, as for any list it cannot read)."""

from __future__ import annotations

from sharedhash.errors import NotFoundError
from sharedhash.hub_errors import AccessLostError
from sharedhash.server.state import HubState
from sharedhash.store.feed import decode_cursor, is_feed_reader, lost_access_reason, note_feed_reader, read_feed_json
from sharedhash.store.lists import get_readable_list
from sharedhash.store.visibility import Caller


def _lost(list_id: int, reason: str) -> AccessLostError:
    return AccessLostError(
        f"your org's access to hash list {list_id} has ended ({reason.replace('_', ' ')})",
        reason=reason,
        list_id=list_id,
    )


def feed_page_json(state: HubState, caller: Caller, list_id: int, after: str | None, limit: int) -> bytes:
    """A page of the feed of a list the caller may read, as the JSON of ``FeedPageOut`` (built from the stored
    snapshot text, see :func:`sharedhash.store.feed.read_feed_json`).

    A list the caller read before and may no longer read answers :class:`AccessLostError`; so does a deleted
    list once the caller has read its tombstones (its cursor is at the end)."""
    with state.db.reading() as session:
        try:
            hash_list = get_readable_list(session, caller, list_id)
        except NotFoundError:
            reason = lost_access_reason(session, list_id, caller.org_id)
            if reason is None:
                raise
            raise _lost(list_id, reason) from None
        if hash_list.deleted_at is not None and decode_cursor(after, hash_list) >= hash_list.last_seq:
            raise _lost(list_id, "list_deleted")
        body = read_feed_json(session, hash_list, after, limit, org_id=caller.org_id)
        known = hash_list.owner_org_id == caller.org_id or is_feed_reader(session, list_id, caller.org_id)
    if not known:
        with state.db.writing() as session:
            note_feed_reader(session, list_id, caller.org_id)
    return body

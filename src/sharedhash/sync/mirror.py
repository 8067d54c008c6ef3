"""``sync``: mirror every list a remote key can read into local read-only lists, incrementally and crash-safe.

Each feed page is applied together with the cursor after it in one local transaction (see
:mod:`sharedhash.store.mirror`), so a sync killed at any point (even ``kill -9``) resumes from the last page it
committed, with no entry lost or doubled.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from sharedhash.client import Client
from sharedhash.client.errors import UnexpectedResponseError
from sharedhash.errors import NotFoundError
from sharedhash.store import audit
from sharedhash.store.db import Database
from sharedhash.store.gc import paused_gc
from sharedhash.store.mirror import RemoteChange, apply_page, mirror_for
from sharedhash.store.models import ChangeKind, Scope
from sharedhash.store.orgs import caller_for_org, create_org_with_key, find_org
from sharedhash.store.visibility import Caller

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ListReport:
    """What one remote list's sync did."""

    remote_list_id: int
    local_list_id: int
    name: str
    added: int = 0
    updated: int = 0
    removed: int = 0
    pages: int = 0
    last_seq: int = 0


@dataclass(slots=True)
class SyncReport:
    """What a whole sync did."""

    source: str
    org: str
    lists: list[ListReport] = field(default_factory=list)
    #: Set when this sync created the local org: its first admin key, shown once.
    org_created: bool = False
    org_api_key: str | None = None

    @property
    def changed(self) -> int:
        """Entries added, updated or removed locally."""
        return sum(r.added + r.updated + r.removed for r in self.lists)


@dataclass(frozen=True, slots=True)
class FeedPageData:
    """One remote feed page, checked."""

    changes: list[RemoteChange]
    next_cursor: str
    has_more: bool


_KINDS = frozenset(k.value for k in ChangeKind)


def parse_feed_page(data: dict[str, Any]) -> FeedPageData:
    """Check the shape of a decoded feed page and take its changes; anything unexpected raises."""
    try:
        changes = []
        for c in data["changes"]:
            seq, kind, entry_id, entry = c["seq"], c["kind"], c["entry_id"], c.get("entry")
            if (
                kind not in _KINDS
                or type(seq) is not int
                or type(entry_id) is not int
                or not (entry is None or isinstance(entry, dict))
            ):
                raise TypeError(f"change {seq!r} is malformed")
            changes.append(RemoteChange(seq, kind, entry_id, entry))
        cursor, more = data["next_cursor"], data["has_more"]
        if not isinstance(cursor, str) or not isinstance(more, bool):
            raise TypeError("bad cursor or has_more")
    except (KeyError, TypeError) as exc:
        raise UnexpectedResponseError(f"the hub's feed page has an unexpected shape: {exc}") from None
    return FeedPageData(changes=changes, next_cursor=cursor, has_more=more)


def _pages(
    client: Client, list_id: int, cursor: str | None, page_size: int, stop: threading.Event | None
) -> Iterator[FeedPageData]:
    """The feed's pages from ``cursor`` on; the next page is fetched (by a helper thread) while the caller
    applies the current one. Stops after the last page, or before a page once ``stop`` is set."""

    def fetch(after: str | None) -> FeedPageData:
        return parse_feed_page(client.feed_json(list_id, after=after, limit=page_size))

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sharedhash-feed") as pool:
        if stop is not None and stop.is_set():
            return
        future: Future[FeedPageData] | None = pool.submit(fetch, cursor)
        while future is not None:
            page = future.result()
            future = pool.submit(fetch, page.next_cursor) if page.has_more else None
            yield page
            if stop is not None and stop.is_set():
                if future is not None:
                    future.cancel()
                return


def _paused(pages: Iterator[FeedPageData]) -> Iterator[FeedPageData]:
    """Pages applied with the garbage collector paused (see :func:`paused_gc`), resumed between pages."""
    for page in pages:
        with paused_gc():
            yield page


def normalise_url(url: str) -> str:
    """The form a source URL is stored in (mirrors are found by it)."""
    return url.strip().rstrip("/")


@dataclass(frozen=True, slots=True)
class LocalOrg:
    """The local org that owns the mirrors; ``api_key`` is the first admin key of an org created just now (shown
    once, never stored), so a node bootstrapped by ``sync`` is usable at once."""

    caller: Caller
    created: bool = False
    api_key: str | None = None


def local_org(db: Database, org_name: str, *, create: bool = True) -> LocalOrg:
    """The local org called ``org_name``; if missing, created with a first admin key (the first org of a database
    is its operator, as with ``sharedhash org create``), or with ``create=False`` a clear error."""
    with db.writing() as session:
        org = find_org(session, org_name)
        if org is not None:
            return LocalOrg(caller_for_org(org, frozenset({Scope.ADMIN})))
        if not create:
            raise NotFoundError(
                f"no local org named {org_name!r} on this node",
                hint="Create it first (`sharedhash org create NAME`), name an existing one with --org, or let sync "
                "create it (leave out --require-org).",
            )
        org, issued = create_org_with_key(session, org_name, key_name="first admin key (created by sync)")
        caller = caller_for_org(org, frozenset({Scope.ADMIN}))
        audit.record(session, caller, "org.create", target=org.name, detail={"by": "sync"})
        audit.record(
            session, caller, "key.create", target=issued.key.prefix, detail={"scopes": issued.key.scopes, "by": "sync"}
        )
        return LocalOrg(caller, created=True, api_key=issued.token)


def local_caller(db: Database, org_name: str) -> Caller:
    """The local org that owns the mirrors (see :func:`local_org`; a first admin key made here is not shown)."""
    return local_org(db, org_name).caller


def sync_from(
    db: Database,
    client: Client,
    *,
    org_name: str | None = None,
    page_size: int = 10_000,
    stop: threading.Event | None = None,
    on_page: Callable[[ListReport], None] | None = None,
    on_commit: Callable[[list[int]], None] | None = None,
    create_org: bool = True,
) -> SyncReport:
    """Pull every list ``client`` can read into local mirrored lists owned by ``org_name`` (default: the remote
    org's name), created with a first admin key if missing (``create_org=False``: an error instead). ``on_commit``
    receives the local entry ids each committed page touched."""
    source = normalise_url(client.base_url)
    local = local_org(db, org_name or client.me().name, create=create_org)
    caller = local.caller
    report = SyncReport(source=source, org=caller.org_name, org_created=local.created, org_api_key=local.api_key)
    for remote in client.lists():
        with db.writing() as session:
            mirror = mirror_for(
                session,
                caller,
                source,
                remote.id,
                name=f"{remote.owner}/{remote.name}",
                pdq_threshold=remote.pdq_threshold,
                video_listed_percent=remote.video_listed_percent,
                video_query_percent=remote.video_query_percent,
            )
            mirror_id, cursor = mirror.id, mirror.source_cursor
        item = ListReport(remote_list_id=remote.id, local_list_id=mirror_id, name=f"{remote.owner}/{remote.name}")
        report.lists.append(item)
        for page in _paused(_pages(client, remote.id, cursor, page_size, stop)):
            changes = page.changes
            with db.writing() as session:
                mirror = mirror_for(
                    session,
                    caller,
                    source,
                    remote.id,
                    name=item.name,
                    pdq_threshold=remote.pdq_threshold,
                    video_listed_percent=remote.video_listed_percent,
                    video_query_percent=remote.video_query_percent,
                )
                outcome = apply_page(session, caller, mirror, changes, page.next_cursor)
            cursor = page.next_cursor
            item.added += outcome.added
            item.updated += outcome.updated
            item.removed += outcome.removed
            item.pages += 1
            item.last_seq = page.changes[-1].seq if page.changes else item.last_seq
            if on_commit is not None and outcome.touched:
                on_commit(outcome.touched)
            if on_page is not None:
                on_page(item)
    with db.writing() as session:
        audit.record(
            session,
            caller,
            "sync",
            target=source[:200],
            count=report.changed,
            detail={"lists": len(report.lists)},
        )
    log.info("sync from %s: %d lists, %d entries changed", source, len(report.lists), report.changed)
    return report

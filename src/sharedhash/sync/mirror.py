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

from sqlalchemy.orm import Session

from sharedhash.client import Client
from sharedhash.client.errors import UnexpectedResponseError
from sharedhash.client.models import HashList as RemoteList
from sharedhash.errors import NotFoundError
from sharedhash.hub_errors import AccessLostError, KeyRevokedError, OrgSuspendedError
from sharedhash.store import audit
from sharedhash.store.db import Database
from sharedhash.store.gc import paused_gc
from sharedhash.store.mirror import (
    RemoteChange,
    access_state,
    apply_page,
    find_mirror,
    mirror_for,
    mirrors_of,
    purge_mirror,
    restore_access,
)
from sharedhash.store.models import ChangeKind, HashList, Scope
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
    #: ``active``, or ``access_lost`` when the source said the access ended (``reason`` says why).
    status: str = "active"
    reason: str | None = None
    #: Entries purged from the mirror by this sync because the access ended.
    purged: int = 0
    #: The org's own verdicts changed locally to follow the source (given or withdrawn on the hub).
    verdicts: int = 0


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
        """Entries added, updated, removed or purged locally."""
        return sum(r.added + r.updated + r.removed + r.purged for r in self.lists)


@dataclass(frozen=True, slots=True)
class FeedPageData:
    """One remote feed page, checked."""

    changes: list[RemoteChange]
    next_cursor: str
    has_more: bool
    #: The org's own verdicts on the page's entries at the source, by remote entry id (an older hub: None).
    yours: dict[int, dict[str, Any]] | None = None


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
        raw = data.get("your_feedback")
        yours = None
        if raw is not None:
            if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
                raise TypeError("bad your_feedback")
            yours = {int(k): v for k, v in raw.items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise UnexpectedResponseError(f"the hub's feed page has an unexpected shape: {exc}") from None
    return FeedPageData(changes=changes, next_cursor=cursor, has_more=more, yours=yours)


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


def _lose_access(
    db: Database,
    caller: Caller,
    mirror_id: int,
    reason: str,
    on_commit: Callable[[list[int]], None] | None,
) -> int:
    """Purge a mirror whose access ended (see :func:`~sharedhash.store.mirror.purge_mirror`), audited with the
    reason and the count, never a hash; a mirror purged before is not purged again. Returns the entries purged."""
    with db.writing() as session:
        mirror = session.get_one(HashList, mirror_id)
        if access_state(session, mirror_id) is not None:
            return 0
        ids = purge_mirror(session, mirror, reason)
        audit.record(
            session,
            caller,
            "mirror.purge",
            target=mirror.name,
            count=len(ids),
            detail={
                "list": mirror.id,
                "source": (mirror.source_url or "")[:200],
                "remote_list": mirror.source_list_id,
                "reason": reason,
            },
        )
        name = mirror.name
    log.warning("access to %s ended (%s): mirror %d purged, %d entries", name, reason, mirror_id, len(ids))
    if on_commit is not None and ids:
        on_commit(ids)
    return len(ids)


def _lost_report(mirror: HashList, reason: str) -> ListReport:
    return ListReport(
        remote_list_id=mirror.source_list_id or 0,
        local_list_id=mirror.id,
        name=mirror.name,
        status="access_lost",
        reason=reason,
    )


def _reason_of(exc: AccessLostError) -> str:
    reason = exc.details.get("reason")
    return reason if isinstance(reason, str) and reason else exc.code


def _lose_all(
    db: Database,
    caller: Caller,
    source: str,
    reason: str,
    report: SyncReport,
    on_commit: Callable[[list[int]], None] | None,
) -> None:
    """The source no longer takes the key at all (revoked, or its org suspended): every mirror of it is lost."""
    with db.reading() as session:
        mirrors = mirrors_of(session, caller.org_id, source)
        for m in mirrors:
            session.expunge(m)
    for mirror in mirrors:
        item = _lost_report(mirror, reason)
        item.purged = _lose_access(db, caller, mirror.id, reason, on_commit)
        report.lists.append(item)


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
    receives the local entry ids each committed page touched.

    Access that ended is followed too: a mirror whose feed answers ``access_lost`` (or, no longer listed, is not
    found), and every mirror of the source when the key was revoked or its org suspended, is purged and shown as
    ``access_lost`` (the key errors are raised after that, so a subscription records them)."""
    source = normalise_url(client.base_url)
    try:
        local = local_org(db, org_name or client.me().name, create=create_org)
    except (KeyRevokedError, OrgSuspendedError) as exc:
        # Without a local org name the mirrors cannot be told apart from another org's: nothing is purged.
        if org_name is not None:
            with db.reading() as session:
                org = find_org(session, org_name)
            if org is not None:
                _lose_all(db, caller_for_org(org), source, exc.code, SyncReport(source=source, org=org_name), on_commit)
        raise
    caller = local.caller
    report = SyncReport(source=source, org=caller.org_name, org_created=local.created, org_api_key=local.api_key)
    try:
        remotes = client.lists()
    except (KeyRevokedError, OrgSuspendedError) as exc:
        _lose_all(db, caller, source, exc.code, report, on_commit)
        raise
    listed: set[int] = set()
    for remote in remotes:
        listed.add(remote.id)
        item = _sync_list(db, client, caller, source, remote, page_size, stop, on_page, on_commit)
        if item is not None:
            report.lists.append(item)
    # Mirrors of lists the key no longer sees: the feed says whether the access ended.
    with db.reading() as session:
        unlisted = [(m.id, m.source_list_id, m.source_cursor) for m in mirrors_of(session, caller.org_id, source)]
        unlisted = [u for u in unlisted if u[1] not in listed and access_state(session, u[0]) is None]
    for mirror_id, remote_id, cursor in unlisted:
        if stop is not None and stop.is_set():
            break
        try:
            client.feed_json(remote_id or 0, after=cursor, limit=1)
            continue
        except AccessLostError as exc:
            reason = _reason_of(exc)
        except NotFoundError:
            reason = "not_found"
        purged = _lose_access(db, caller, mirror_id, reason, on_commit)
        with db.reading() as session:
            item = _lost_report(session.get_one(HashList, mirror_id), reason)
        item.purged = purged
        report.lists.append(item)
    with db.writing() as session:
        audit.record(
            session,
            caller,
            "sync",
            target=source[:200],
            count=report.changed,
            detail={"lists": len(report.lists), "access_lost": sum(r.status == "access_lost" for r in report.lists)},
        )
    log.info("sync from %s: %d lists, %d entries changed", source, len(report.lists), report.changed)
    return report


def _mirror_of(session: Session, caller: Caller, source: str, remote: RemoteList, name: str) -> HashList:
    """The caller's mirror of ``remote`` (created on first sight), its match settings following the remote list's."""
    return mirror_for(
        session,
        caller,
        source,
        remote.id,
        name=name,
        pdq_threshold=remote.pdq_threshold,
        video_listed_percent=remote.video_listed_percent,
        video_query_percent=remote.video_query_percent,
    )


def _sync_list(
    db: Database,
    client: Client,
    caller: Caller,
    source: str,
    remote: RemoteList,
    page_size: int,
    stop: threading.Event | None,
    on_page: Callable[[ListReport], None] | None,
    on_commit: Callable[[list[int]], None] | None,
) -> ListReport | None:
    """Follow one listed remote list's feed into its mirror; None for a deleted list never mirrored here."""
    name = f"{remote.owner}/{remote.name}"
    with db.writing() as session:
        if remote.deleted_at is not None and find_mirror(session, caller.org_id, source, remote.id) is None:
            return None
        mirror = _mirror_of(session, caller, source, remote, name)
        mirror_id, cursor, local_name = mirror.id, mirror.source_cursor, mirror.name
        lost = access_state(session, mirror_id)
        was_lost = lost is not None
        if lost is not None and remote.deleted_at is not None:
            # A deleted list stays deleted: its mirror stays purged (its tombstones would only flip it back).
            return _lost_report(mirror, lost.reason)
    item = ListReport(remote_list_id=remote.id, local_list_id=mirror_id, name=local_name)
    try:
        for page in _paused(_pages(client, remote.id, cursor, page_size, stop)):
            changes = page.changes
            with db.writing() as session:
                mirror = _mirror_of(session, caller, source, remote, name)
                if was_lost and restore_access(session, mirror):
                    audit.record(
                        session,
                        caller,
                        "mirror.restore",
                        target=mirror.name,
                        detail={"list": mirror.id, "source": source[:200], "remote_list": remote.id},
                    )
                    was_lost = False
                outcome = apply_page(session, caller, mirror, changes, page.next_cursor, page.yours)
            item.added += outcome.added
            item.updated += outcome.updated
            item.removed += outcome.removed
            item.verdicts += outcome.verdicts
            item.pages += 1
            item.last_seq = page.changes[-1].seq if page.changes else item.last_seq
            if on_commit is not None and outcome.touched:
                on_commit(outcome.touched)
            if on_page is not None:
                on_page(item)
    except AccessLostError as exc:
        item.status, item.reason = "access_lost", _reason_of(exc)
        item.purged = _lose_access(db, caller, mirror_id, item.reason, on_commit)
        return item
    if was_lost:
        with db.reading() as session:
            state = access_state(session, mirror_id)
            item.status, item.reason = ("access_lost", state.reason) if state else ("active", None)
    return item

"""Content checks: a platform's content (a file, or hashes it computed) is matched against every list its org may
read (through the lookup service and the hub's indexes: no matching logic of its own), recorded as a check with one
match per hit, and the org's action rules decide what each match triggers. Webhook events and review items are
written in the same transaction as the check and its matches. Retroactive matching does the same for recent
checks when a list gains hashes; expired checks are purged. Queries are in :mod:`sharedhash.store.checks`.

Idempotent per (org, content id, hashes): a retried check answers with the first one and writes nothing.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, BinaryIO, NamedTuple

import anyio.to_thread
import numpy as np
import orjson
from sqlalchemy.orm import Session

from sharedhash.errors import LimitExceededError
from sharedhash.hashing import get_hash_type, hash_type_names
from sharedhash.hashing.types.base import IndexKind
from sharedhash.limits import PDQ_THRESHOLD_MAX
from sharedhash.server.act.events import match_event
from sharedhash.server.lookup import service as lookup_service
from sharedhash.server.lookup.service import Query
from sharedhash.server.memory.check_hashes import KEPT_CHARS, fixed_width, in_memory
from sharedhash.server.rules import service as rules_service
from sharedhash.server.rules.engine import Decision, MatchFacts, RuleSpec, decide, suppressed_by_list
from sharedhash.server.state import HubState
from sharedhash.store import audit, outbox
from sharedhash.store import checks as store
from sharedhash.store import review as review_store
from sharedhash.store import rules as rules_store
from sharedhash.store.db import Database, Transaction, session_of
from sharedhash.store.gc import paused_gc
from sharedhash.store.models import ContentCheck, ContentMatch, Verdict, utcnow
from sharedhash.store.visibility import Caller

log = logging.getLogger(__name__)

#: Keys of a match's ``details`` that the answer shows under ``details`` (video matches).
_VIDEO_FIELDS = ("matched_hash_type", "query_percent", "listed_percent", "query_seconds", "listed_seconds")


class ContentMeta(NamedTuple):
    """What the platform says about its content. (A named tuple: made once per item of a batch, where a frozen
    dataclass's construction cost about twice as much.)"""

    content_id: str
    content_type: str = "other"
    uploader_id: str | None = None
    uploaded_at: datetime | None = None
    url: str | None = None
    labels: tuple[str, ...] = ()


@dataclass
class _Item:
    """One piece of content to check: its metadata, its hashes (canonical) and the queries to look up (a file's
    dihedral variants are queries past its hashes; None: its hashes, each at its own position, as for every
    hash-only check, which then makes no query object of its own)."""

    meta: ContentMeta
    hashes: list[tuple[str, str]]
    queries: list[Query] | None
    key: str = ""
    matches: list[dict[str, Any]] = field(default_factory=list)


def _retention(state: HubState) -> timedelta:
    return timedelta(days=state.settings.check_retention_days)


#: Batches of at least this many hashes run with the garbage collector paused (:func:`paused_gc`).
PAUSE_GC_FROM_HASHES = 500


def quiet_gc(hashes: int) -> AbstractContextManager[None]:
    """The garbage collector paused for work on a batch of ``hashes`` hashes when it is large."""
    return gc_paused_if(hashes >= PAUSE_GC_FROM_HASHES)


def gc_paused_if(large: bool) -> AbstractContextManager[None]:
    """The garbage collector paused (:func:`paused_gc`) when ``large``; nothing otherwise."""
    return paused_gc() if large else nullcontext()


def check_hashes(
    state: HubState, caller: Caller, items: list[tuple[ContentMeta, list[tuple[str, str]]]]
) -> list[dict[str, Any]]:
    """Hash-only checks (one per item), at most ``max_lookup_hashes`` hashes in all; answers in item order."""
    total = sum(len(hashes) for _, hashes in items)
    # A large batch makes hundreds of thousands of short-lived objects; with the collector running, their
    # allocations started full collections of the server's whole heap (measured: 70% of a 10,000-item batch).
    with quiet_gc(total):
        return _run(state, caller, _hash_items(state, items, total), kind="hashes")


def _hash_items(state: HubState, items: list[tuple[ContentMeta, list[tuple[str, str]]]], total: int) -> list[_Item]:
    """The items of a hash-only check, their hashes validated and canonical (the limit on hashes in all holds)."""
    limit = state.settings.max_lookup_hashes
    if total > limit:
        raise LimitExceededError(f"{total} hashes in one request; the limit is {limit}")
    pairs = lookup_service.canonical_pairs([h for _, hashes in items for h in hashes], limit)
    out: list[_Item] = []
    start = 0
    for meta, hashes in items:
        if len(hashes) == 1:  # the usual item: no slices
            out.append(_Item(meta, [pairs[start]], None))
            start += 1
            continue
        out.append(_Item(meta, pairs[start : start + len(hashes)], None))
        start += len(hashes)
    return out


#: Hash-only checks of at most this many hashes in all may be made from the event loop
#: (:func:`check_hashes_inline`): matching them is a lookup of as many, which the lookup's fast path makes there too.
INLINE_HASHES = lookup_service.INLINE_HASHES


def inline(items: list[tuple[ContentMeta, list[tuple[str, str]]]]) -> bool:
    """Whether :func:`check_hashes_inline` takes these items (small enough for the event loop)."""
    return len(items) <= GROUP_COMMIT_MAX_ITEMS and sum(len(h) for _, h in items) <= INLINE_HASHES


async def check_hashes_inline(
    state: HubState, caller: Caller, items: list[tuple[ContentMeta, list[tuple[str, str]]]]
) -> list[dict[str, Any]]:
    """:func:`check_hashes` of a small check (:func:`inline`), called from the event loop: validated and matched
    there, as a lookup of as many hashes is, and written by the group commit's writer thread while the loop awaits
    the answer. No worker thread per request: handing each single check to a worker thread and waking it when its
    group was written took a large part of a check's CPU time (16 threads contending for the interpreter).
    The answer of content checked before (a retry) is read back in a worker thread."""
    out = _hash_items(state, items, sum(len(hashes) for _, hashes in items))
    started = time.perf_counter()
    for item in out:
        item.key = store.idempotency_key(item.meta.content_id, item.hashes)
    fresh = _first_of_each(out)
    _match(state, caller, fresh)
    state.metrics.lookup_seconds.labels("content").observe(time.perf_counter() - started)
    answers = await _COMMITS.write_async(state, caller, fresh, "hashes")
    missing = [i.key for i in out if i.key not in answers]
    if missing:
        answers.update(await anyio.to_thread.run_sync(_read_back, state, caller, missing))
    return _in_order(out, answers)


def check_file(state: HubState, caller: Caller, meta: ContentMeta, upload: BinaryIO) -> dict[str, Any]:
    """Hash an uploaded file (in memory; a video in a temporary file deleted at once; never stored) and check it,
    with dihedral matching for the types that support it."""
    hashed = lookup_service.hash_upload(state, upload, dihedral=True)
    item = _Item(meta, list(hashed.items), list(hashed.queries))
    return _run(state, caller, [item], kind="file")[0]


def _run(state: HubState, caller: Caller, items: list[_Item], *, kind: str) -> list[dict[str, Any]]:
    started = time.perf_counter()
    for item in items:
        item.key = store.idempotency_key(item.meta.content_id, item.hashes)
    grouped = len(items) <= GROUP_COMMIT_MAX_ITEMS
    # No read transaction of its own first: the writing transaction leaves out what was checked before (read back
    # below as a replay). A retry makes its lookup again and is matched for nothing (retries are rare; for single
    # checks a read transaction cost a quarter of a check's CPU time, and a batch looked its keys up twice).
    fresh = _first_of_each(items)
    _match(state, caller, fresh)
    state.metrics.lookup_seconds.labels("content").observe(time.perf_counter() - started)
    if not fresh:
        answers: dict[str, dict[str, Any]] = {}
    elif grouped:
        answers = _COMMITS.write(state, caller, fresh, kind)
    else:
        answers = {a["key"]: a for a in _write_retrying(state, caller, fresh, kind=kind)}
    missing = [i.key for i in items if i.key not in answers]
    if missing:
        answers.update(_read_back(state, caller, missing))
    return _in_order(items, answers, owned=not grouped)


def _read_back(state: HubState, caller: Caller, keys: list[str]) -> dict[str, dict[str, Any]]:
    """The stored answers of the org's checks with these keys (checked before, or meanwhile by another request)."""
    with state.db.reading() as session:
        return _stored_answers(session, store.existing_checks(session, caller.org_id, keys))


def _in_order(items: list[_Item], answers: dict[str, dict[str, Any]], *, owned: bool = False) -> list[dict[str, Any]]:
    """The answers of ``items`` in their order, without their keys. ``owned``: the answers are this request's alone
    (not a group commit's, whose requests may share one), so each is answered as it is, its key taken out, and
    copied only for a second item of the same content."""
    out = []
    for item in items:
        answer = answers[item.key]
        if not owned:  # a group commit's answer, which another request may share: a copy
            answer = dict(answer)
            del answer["key"]
        elif "key" in answer:  # this request's own answer, answered as it is
            del answer["key"]
        else:  # a second item of the same content, whose key went with the first's: a copy
            answer = dict(answer)
        out.append(answer)
    return out


def _write_retrying(state: HubState, caller: Caller, items: list[_Item], *, kind: str) -> list[dict[str, Any]]:
    try:
        return _write(state, caller, items, kind=kind)
    except store.DuplicateCheckError:
        # A concurrent retry of the same content committed first: the second try leaves it out (read back).
        return _write(state, caller, items, kind=kind)


#: Checks of at most this many items are written through the group commit (larger batches alone).
GROUP_COMMIT_MAX_ITEMS = 16

#: Batches of the group commit written at the same time on PostgreSQL (SQLite has one writer, so one). One: with
#: three writers side by side each took fewer checks per transaction, so every check paid more of a transaction's
#: fixed statements and round trips, and the threads contended for the interpreter with the event loop (measured
#: at 16 clients, same run: 1,914 -> 1,347 us of server CPU per single check, 395 -> 485 checks/s).
GROUP_COMMIT_WRITERS_POSTGRES = 1

#: Threads the group commit may use at most (``GROUP_COMMIT_WRITERS_POSTGRES`` decides how many it does).
_WRITER_THREADS = 4


@dataclass
class _Pending:
    """One request's checks waiting for the group commit, and what became of them. A request waits for ``done``
    in its own thread, or (from the event loop) for ``future`` on ``loop`` (no event made for it)."""

    state: HubState
    caller: Caller
    kind: str
    items: list[_Item]
    done: threading.Event | None = None
    loop: asyncio.AbstractEventLoop | None = None
    future: asyncio.Future[None] | None = None
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: BaseException | None = None
    queued_at: float = field(default_factory=time.perf_counter)


@dataclass
class GroupCommitStats:
    """What the group commit did since the start (read by bench/act_group_commit.py): how many batches (one per
    leader turn) and requests, how long the requests waited before their batch's write began (the write before
    theirs), and how long the batches took to write."""

    batches: int = 0
    requests: int = 0
    wait_seconds: float = 0.0
    max_wait_seconds: float = 0.0
    write_seconds: float = 0.0
    max_write_seconds: float = 0.0


class _GroupCommit:
    """Concurrent small checks written in one transaction (group commit).

    Every check is a write transaction, and SQLite lets one writer in at a time: at 16 concurrent clients each
    single check queued behind up to 15 others' transactions (PostgreSQL: as many commits). Here requests queue
    their checks, and a writer thread (up to ``writers`` at once: one on SQLite) takes every check queued by then,
    of any org, and writes them, one ``_write`` per (org, key, kind) in one transaction each; then the next ones
    queued meanwhile, until none is left. Each request gets its own answers, and a failed write fails only the
    requests of that write. A request never waits for more than the transaction before its own.

    A request waits in its own thread (:meth:`write`) or, from the event loop, for a future (:meth:`write_async`):
    the writer wakes each loop once per batch, with the futures of all its requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._writing = 0  # writer threads at work
        # Room for more writers than the setting (a test or bench/act_group_commit.py may raise it); how many run
        # at once is counted in ``_writing``.
        self._writers = ThreadPoolExecutor(_WRITER_THREADS, thread_name_prefix="group-commit")
        self.stats = GroupCommitStats()

    def write(self, state: HubState, caller: Caller, items: list[_Item], kind: str) -> dict[str, dict[str, Any]]:
        mine = _Pending(state, caller, kind, items, done=threading.Event())
        self._enqueue(mine)
        assert mine.done is not None
        mine.done.wait()
        if mine.error is not None:
            raise mine.error
        return mine.answers

    async def write_async(
        self, state: HubState, caller: Caller, items: list[_Item], kind: str
    ) -> dict[str, dict[str, Any]]:
        if not items:
            return {}
        loop = asyncio.get_running_loop()
        mine = _Pending(state, caller, kind, items, loop=loop, future=loop.create_future())
        self._enqueue(mine)
        assert mine.future is not None
        await mine.future
        if mine.error is not None:
            raise mine.error
        return mine.answers

    def _enqueue(self, pending: _Pending) -> None:
        writers = 1 if pending.state.db.is_sqlite else GROUP_COMMIT_WRITERS_POSTGRES
        with self._lock:
            self._queue.append(pending)
            start = self._writing < writers
            if start:
                self._writing += 1
        if start:
            self._writers.submit(self._drain)

    def _drain(self) -> None:
        """A writer thread: batch after batch until the queue is empty."""
        with self._lock:
            batch, self._queue = self._queue, []
            if not batch:  # another writer took them
                self._writing -= 1
        while batch:
            batch = self._lead(batch)

    def _lead(self, batch: list[_Pending]) -> list[_Pending]:
        """Write a batch and tell its requests; the next batch (empty: this writer stops)."""
        began = time.perf_counter()
        try:
            groups: dict[tuple[int, int, int | None, str], list[_Pending]] = defaultdict(list)
            for pending in batch:
                groups[id(pending.state), pending.caller.org_id, pending.caller.key_id, pending.kind].append(pending)
            for group in groups.values():
                first = group[0]
                items = _first_of_each([i for p in group for i in p.items])
                try:
                    written = {a["key"]: a for a in _write_retrying(first.state, first.caller, items, kind=first.kind)}
                except Exception as exc:
                    for pending in group:
                        pending.error = exc
                    continue
                for pending in group:
                    pending.answers = {i.key: written[i.key] for i in pending.items if i.key in written}
        except BaseException as exc:  # not a write's failure (those are the group's): fail the whole batch
            log.exception("group commit: a batch of %d requests failed", len(batch))
            for pending in batch:
                pending.error = pending.error or exc
        finally:
            ended = time.perf_counter()
            with self._lock:
                stats = self.stats
                stats.batches += 1
                stats.requests += len(batch)
                waits = [began - p.queued_at for p in batch]
                stats.wait_seconds += sum(waits)
                stats.max_wait_seconds = max(stats.max_wait_seconds, *waits)
                stats.write_seconds += ended - began
                stats.max_write_seconds = max(stats.max_write_seconds, ended - began)
                following, self._queue = self._queue, []
                if not following:
                    self._writing -= 1  # before the requests hear of it: one answered finds no writer at work
            _wake(batch)
        return following


def _wake(batch: list[_Pending]) -> None:
    """Tell the requests of a written batch: a thread by its event, each event loop once for all its futures."""
    futures: dict[asyncio.AbstractEventLoop, list[asyncio.Future[None]]] = defaultdict(list)
    for pending in batch:
        if pending.loop is not None and pending.future is not None:
            futures[pending.loop].append(pending.future)
        elif pending.done is not None:
            pending.done.set()
    for loop, waiting in futures.items():
        try:
            loop.call_soon_threadsafe(_resolve, waiting)
        except RuntimeError:  # the loop was closed meanwhile (the server stopped): nobody is waiting
            pass


def _resolve(futures: list[asyncio.Future[None]]) -> None:
    for future in futures:
        if not future.done():  # (cancelled: the client went away; its checks are written all the same)
            future.set_result(None)


_COMMITS = _GroupCommit()


def _first_of_each(items: list[_Item]) -> list[_Item]:
    """Each key's first item (a batch may hold one content twice); what was checked before is left out by the
    writing transaction."""
    seen: set[str] = set()
    out = []
    for item in items:
        if item.key in seen:
            continue
        seen.add(item.key)
        out.append(item)
    return out


def _match(state: HubState, caller: Caller, items: list[_Item]) -> None:
    """Look every item's queries up in one call; each item gets its matches (variants folded)."""
    flat: list[Query] = []
    owner: list[tuple[int, int]] = []
    for n, item in enumerate(items):
        queries = item.queries
        if queries is None:  # its hashes, each at its own position
            hashes = item.hashes
            if len(hashes) == 1:  # the usual item: no inner loop
                hash_type, value = hashes[0]
                owner.append((n, 0))
                flat.append(Query(len(flat), hash_type, value))
                continue
            for position, (hash_type, value) in enumerate(hashes):
                owner.append((n, position))
                flat.append(Query(len(flat), hash_type, value))
            continue
        for q in queries:
            owner.append((n, q.position))
            flat.append(Query(len(flat), q.hash_type, q.value))
    if not flat:
        return
    found = lookup_service.lookup(state.db, state.indexes, state.caches, caller, flat, audit_log=state.audit)
    per_item: dict[int, list[dict[str, Any]]] = {}
    for m in found:
        n, position = owner[m["query"]]
        m["query"] = position  # (the lookup's own dict: made for this call alone)
        mine = per_item.get(n)
        if mine is None:
            per_item[n] = [m]
        else:
            mine.append(m)
    for n, matches in per_item.items():
        item = items[n]
        if len(matches) == 1 and (item.queries is None or len(item.queries) == len(item.hashes)):
            item.matches = matches  # one match of one of its own hashes: nothing to fold
        else:
            item.matches = lookup_service.fold_variants(matches, item.hashes)


def _facts(match: dict[str, Any], content_type: str) -> MatchFacts:
    feedback = match["feedback"]
    return MatchFacts(
        list_id=match["list_id"],
        list_name=match["list_name"],
        classification=match["classification"],
        entry_labels=tuple(match["labels"]),
        hash_type=match.get("matched_hash_type") or match["hash_type"],
        distance=match["distance"],
        content_type=content_type,
        disputes=feedback["dispute"],
        confirms=feedback["confirm"],
    )


def _decide(
    rules: list[RuleSpec], suppressed: set[tuple[str, str]], content_hash: tuple[str, str], facts: MatchFacts
) -> Decision:
    if content_hash in suppressed:
        return suppressed_by_list()
    return decide(rules, facts)


def _check_row(org_id: int, item: _Item, matched: bool, actions: list[str], now: datetime) -> dict[str, Any]:
    meta = item.meta
    return {
        "org_id": org_id,
        "idempotency_key": item.key,
        "content_id": meta.content_id,
        "content_type": meta.content_type,
        "uploader_id": meta.uploader_id,
        "uploaded_at": meta.uploaded_at,
        "url": meta.url,
        "labels": list(meta.labels),
        "hashes": [{"type": t, "value": v} for t, v in item.hashes],
        "matched": matched,
        "actions": actions,
        "created_at": now,
    }


def _details(match: dict[str, Any], suppressed: bool | None = None) -> dict[str, Any]:
    """A match row's details: what the lookup said of it (and, for a stored match, whether it was suppressed, last),
    made in one dict."""
    details = {
        "query": match["query"],
        "list_name": match["list_name"],
        "classification": match["classification"],
        "labels": list(match["labels"]),
        "feedback": dict(match["feedback"]),
    }
    for k in _VIDEO_FIELDS:
        if match.get(k) is not None:
            details[k] = match[k]
    if suppressed is not None:
        details["suppressed"] = suppressed
    return details


def _merge(into: list[str], words: list[str]) -> None:
    for word in words:
        if word not in into:
            into.append(word)


class _Acts:
    """The events and review items of one transaction: endpoints looked up once, one review item per (check,
    queue) with the highest priority asked. Events and endpoints go through the ORM (the transaction's session,
    made on first use in a driver transaction); review items through the driver."""

    def __init__(self, tx: Transaction, org_id: int) -> None:
        self.tx = tx
        self.org_id = org_id
        self._endpoints: dict[str, int | None] = {}
        self._reviews: dict[tuple[int, str], tuple[int, int]] = {}
        self.events = 0

    def endpoint(self, name: str) -> int | None:
        if name not in self._endpoints:
            found = outbox.endpoint_by_name(session_of(self.tx), self.org_id, name)
            self._endpoints[name] = None if found is None else found.id
        return self._endpoints[name]

    def apply(self, decision: Decision, check: dict[str, Any], match: dict[str, Any]) -> None:
        for action in decision.actions:
            if action["type"] == "webhook":
                endpoint_id = self.endpoint(action["endpoint"])
                if endpoint_id is None:  # removed since the rule was made: nothing to send to
                    log.warning("rule %s: no webhook endpoint %r", decision.rule, action["endpoint"])
                    continue
                payload = match_event(action["event_type"], check=check, match=match, actions=decision.verbs)
                outbox.add_event(
                    session_of(self.tx),
                    org_id=self.org_id,
                    endpoint_id=endpoint_id,
                    event_type=action["event_type"],
                    ordering_key=check["content_id"],
                    payload=payload,
                )
                self.events += 1
            elif action["type"] == "review":
                self._review(check["id"], match["id"], action)

    def review(self, decision: Decision, check_id: int, match_id: int) -> None:
        """:meth:`apply` of a decision without webhooks: its review items only (no event, no rows needed)."""
        for action in decision.actions:
            if action["type"] == "review":
                self._review(check_id, match_id, action)

    def _review(self, check_id: int, match_id: int, action: dict[str, Any]) -> None:
        key = (check_id, action["queue"])
        first = self._reviews.get(key)
        priority = int(action.get("priority", 0))
        if first is None or priority > first[1]:
            self._reviews[key] = (first[0] if first else match_id, priority)

    def finish(self) -> int:
        review_store.enqueue_reviews(
            self.tx,
            self.org_id,
            [
                (check_id, match_id, queue, priority)
                for (check_id, queue), (match_id, priority) in self._reviews.items()
            ],
        )
        return len(self._reviews)


def _check_columns(item: _Item, actions: list[str] | None) -> store.CheckColumns:
    meta = item.meta
    return (
        item.key,
        meta.content_id,
        meta.content_type,
        meta.uploader_id,
        meta.uploaded_at,
        meta.url,
        orjson.dumps(list(meta.labels)).decode() if meta.labels else "[]",
        orjson.dumps([{"type": t, "value": v} for t, v in item.hashes]).decode(),
        bool(actions is not None),
        orjson.dumps(actions).decode() if actions else "[]",
    )


def _write(state: HubState, caller: Caller, items: list[_Item], *, kind: str) -> list[dict[str, Any]]:
    """Record the checks, their matches, events and review items in one transaction; the answers of the new checks
    (items checked meanwhile by a concurrent request are left out: the caller reads them back).

    Columnar: checks and check hashes go to the store as plain tuples (ids drawn in one go, one executemany or
    COPY per table); rules, match rows, events and review items are made only for the items that matched."""
    if not items:
        return []
    now = utcnow()
    org_id = caller.org_id
    keep_hashes = state.settings.check_retention_days > 0
    session: Transaction
    # PostgreSQL, a group commit's few checks: every statement is made on the driver, in a transaction without an
    # ORM session (one is joined to it for a webhook's events); otherwise a session's.
    with _transaction(state.db, len(items)) as session:
        # PostgreSQL, a group commit's few checks: no look-up of the keys first, the checks' insert leaves out those
        # the org has (one round trip less per transaction); otherwise looked up here, before anything is made.
        folded = store.folds_key_lookup(session, len(items))
        if not folded:
            taken = store.existing_checks(session, org_id, [i.key for i in items])
            if taken:
                items = [i for i in items if i.key not in taken]
            if not items:
                return []
        matched = [n for n, item in enumerate(items) if item.matches]
        rules: list[RuleSpec] = []
        suppressed: set[tuple[str, str]] = set()
        if matched:
            # The rules and whether the org suppresses anything in one round trip (read in this transaction:
            # another process may have changed them a moment ago, so they are not cached).
            rules, any_suppressed = rules_service.specs_and_suppressions(session, org_id)
            suppressed = rules_store.suppressed(
                session, org_id, [h for n in matched for h in items[n].hashes], any_known=any_suppressed
            )
        # Rules are decided once per distinct set of facts (a batch's matches share a few lists, classifications
        # and distances), and each decision's verbs and each distinct details JSON are made once.
        decided: dict[tuple[Any, ...], tuple[Decision, list[str], str, bool]] = {}
        decisions: dict[int, list[tuple[Decision, list[str], str, bool]]] = {}
        words_of: dict[int, list[str]] = {}
        for n in matched:
            item = items[n]
            content_type = item.meta.content_type
            mine = []
            for m in item.matches:
                feedback = m["feedback"]
                facts_key = (
                    item.hashes[m["query"]] in suppressed,
                    m["list_id"],
                    m["list_name"],
                    m["classification"],
                    tuple(m["labels"]),
                    m.get("matched_hash_type") or m["hash_type"],
                    m["distance"],
                    content_type,
                    feedback["dispute"],
                    feedback["confirm"],
                )
                found = decided.get(facts_key)
                if found is None:
                    d = _decide(rules, suppressed, item.hashes[m["query"]], _facts(m, content_type))
                    verbs = d.verbs
                    hooks = any(a["type"] == "webhook" for a in d.actions)
                    found = decided[facts_key] = (d, verbs, orjson.dumps(verbs).decode(), hooks)
                mine.append(found)
            decisions[n] = mine
            if len(mine) == 1:
                words = list(mine[0][1])
            else:
                words = []
                for _d, verbs, _, _ in mine:
                    _merge(words, verbs)
            words_of[n] = words
        check_rows = [_check_columns(item, words_of.get(n)) for n, item in enumerate(items)]
        # A batch's rows are made while the server inserts the previous table's (between a COPY's last row and its
        # end, in this thread, without the session: BulkWriter.insert_rows): the check hashes' and matches' rows
        # while it inserts the checks, the answers while it inserts the check hashes. A group commit's few checks
        # are one statement each: the same steps, after it.
        hash_rows: list[tuple[int, str, str]] = []
        match_cols: list[store.MatchColumns] = []
        match_details: list[dict[str, Any]] = []

        def rows_of(ids: list[int]) -> None:
            if keep_hashes:
                hash_rows.extend(_hash_rows(items, ids))
            _match_columns(items, matched, decisions, ids, match_cols, match_details)

        if not folded:
            check_ids = store.write_checks(session, org_id, now, check_rows, rows_of)
        else:
            new_ids = store.write_new_checks(session, org_id, now, check_rows)
            kept_at = [n for n, i in enumerate(new_ids) if i is not None]
            if not kept_at:
                return []  # all checked before (replays): nothing written, the caller reads them back
            check_ids = [i for i in new_ids if i is not None]
            if len(kept_at) < len(items):  # some checked before: the rest, renumbered
                new_at = {n: k for k, n in enumerate(kept_at)}
                items = [items[n] for n in kept_at]
                matched = [new_at[n] for n in matched if n in new_at]
                decisions = {new_at[n]: d for n, d in decisions.items() if n in new_at}
                words_of = {new_at[n]: w for n, w in words_of.items() if n in new_at}
            rows_of(check_ids)
        match_ids = store.write_matches(session, org_id, now, match_cols)
        acts = _Acts(session, org_id)
        by_list: Counter[str] = Counter()
        by_action: Counter[str] = Counter()
        answers: list[dict[str, Any]] = []
        # Webhook events are written through the session (the outbox): with any, the matches' answers come after
        # the check hashes' insert, not during it.
        hooked = any(found[3] for found in decided.values())

        def answer(_: list[int]) -> None:
            answer_matches = _matches_answered(
                acts, org_id, now, items, matched, decisions, words_of, check_ids, match_ids, match_details,
                by_list, by_action,
            )  # fmt: skip
            answers.extend(_answers(items, check_ids, answer_matches, words_of, now))

        hash_ids = store.write_check_hashes(session, org_id, now, hash_rows, None if hooked else answer)
        if hooked:
            answer(hash_ids)
        reviews = acts.finish()
        # One statement (not an ORM object flushed at commit: that flush was a tenth of a single check's time).
        detail = {"kind": kind, "matched": len(matched), "events": acts.events, "reviews": reviews}
        audit.record_many(session, [(caller, "content.check", len(items), detail)])
    if hash_rows:
        state.check_hashes.add((i, t, v) for i, (_, t, v) in zip(hash_ids, hash_rows, strict=True))
    _count_by(state, kind, len(items), by_list, by_action)
    return answers


def _transaction(db: Database, count: int) -> AbstractContextManager[Transaction]:
    """The write transaction of ``count`` checks: on the driver where every statement of :func:`_write` is (the
    checks' insert folds the key look-up: :func:`store.folds_key_lookup`), an ORM session's otherwise."""
    if not db.is_sqlite and store.folds_key_lookup_on_postgres(count):
        return db.driver_writing()
    return db.writing()


def _hash_rows(items: list[_Item], check_ids: list[int]) -> list[tuple[int, str, str]]:
    """The check hashes kept of the checks (:func:`kept`): ``(check id, hash type, value)``."""
    fixed: dict[str, bool] = {}  # each type asked once
    out = []
    for item, cid in zip(items, check_ids, strict=True):
        hashes = item.hashes
        for t, v in hashes if len(hashes) == 1 else set(hashes):
            keep = fixed.get(t)
            if keep is None:
                keep = fixed[t] = fixed_width(t)
            if keep and len(v) <= KEPT_CHARS:
                out.append((cid, t, v))
    return out


def _match_columns(
    items: list[_Item],
    matched: list[int],
    decisions: dict[int, list[tuple[Decision, list[str], str, bool]]],
    check_ids: list[int],
    match_cols: list[store.MatchColumns],
    match_details: list[dict[str, Any]],
) -> None:
    """The new matches' rows (``match_cols``) and details (``match_details``), in the order of ``matched``."""
    details_json: dict[tuple[Any, ...], str] = {}
    for n in matched:
        check_id = check_ids[n]
        for m, (d, _, verbs_json, _) in zip(items[n].matches, decisions[n], strict=True):
            details = _details(m, d.suppressed)
            match_details.append(details)
            if len(details) == 6:  # no video fields: the same facts make the same JSON
                key = (m["query"], m["list_name"], m["classification"], tuple(m["labels"]),
                       tuple(m["feedback"].items()), d.suppressed)  # fmt: skip
                text = details_json.get(key)
                if text is None:
                    text = details_json[key] = orjson.dumps(details).decode()
            else:
                text = orjson.dumps(details).decode()
            match_cols.append(
                (check_id, m["list_id"], m["entry_id"], m["hash_type"], m["distance"], text, d.rule, verbs_json)
            )


def _matches_answered(
    acts: _Acts,
    org_id: int,
    now: datetime,
    items: list[_Item],
    matched: list[int],
    decisions: dict[int, list[tuple[Decision, list[str], str, bool]]],
    words_of: dict[int, list[str]],
    check_ids: list[int],
    match_ids: list[int],
    match_details: list[dict[str, Any]],
    by_list: Counter[str],
    by_action: Counter[str],
) -> dict[int, list[dict[str, Any]]]:
    """The matches' answers by item; their actions given to ``acts`` (events, review items) and counted."""
    answer_matches: dict[int, list[dict[str, Any]]] = {}
    position = 0
    # Counted by (list, decision's verbs) first, then into the counters (a Counter update per match cost more).
    tally: dict[tuple[int, str], int] = {}
    verbs_of: dict[str, list[str]] = {}
    for n in matched:
        item = items[n]
        check_id = check_ids[n]
        check_row: dict[str, Any] | None = None
        out: list[dict[str, Any]] = []
        for m, (d, verbs, verbs_json, hooks) in zip(item.matches, decisions[n], strict=True):
            match_id = match_ids[position]
            details = match_details[position]
            position += 1
            counted = (m["list_id"], verbs_json)
            tally[counted] = tally.get(counted, 0) + 1
            verbs_of[verbs_json] = verbs
            if hooks:
                if check_row is None:
                    check_row = _check_row(org_id, item, True, words_of[n], now)
                    check_row["id"] = check_id
                match_row = {
                    "id": match_id,
                    "check_id": check_id,
                    "org_id": org_id,
                    "list_id": m["list_id"],
                    "entry_id": m["entry_id"],
                    "hash_type": m["hash_type"],
                    "distance": m["distance"],
                    "retroactive": False,
                    "details": details,
                    "rule": d.rule,
                    "actions": verbs,
                    "created_at": now,
                    "suppressed": d.suppressed,
                }
                acts.apply(d, check_row, match_row)
            elif d.actions:  # no webhooks: its review items, if any
                acts.review(d, check_id, match_id)
            out.append(
                {
                    "match_id": match_id,
                    "query": m["query"],
                    "hash_type": m["hash_type"],
                    "distance": m["distance"],
                    "list_id": m["list_id"],
                    "list_name": m["list_name"],
                    "entry_id": m["entry_id"],
                    "classification": m["classification"],
                    "labels": list(details["labels"]),
                    "feedback": details["feedback"],
                    "rule": d.rule,
                    "actions": list(verbs),
                    "suppressed": d.suppressed,
                    "retroactive": False,
                    "created_at": now,
                    # Six keys: no video fields (see _match_columns).
                    "details": {k: details[k] for k in _VIDEO_FIELDS if k in details} if len(details) > 6 else {},
                }
            )
        answer_matches[n] = out
    for (list_id, verbs_json), count in tally.items():
        by_list[str(list_id)] += count
        for word in verbs_of[verbs_json]:
            by_action[word] += count
    return answer_matches


def _answers(
    items: list[_Item],
    check_ids: list[int],
    answer_matches: dict[int, list[dict[str, Any]]],
    words_of: dict[int, list[str]],
    now: datetime,
) -> list[dict[str, Any]]:
    """The new checks' answers, in item order."""
    answers = []
    for n, (item, check_id) in enumerate(zip(items, check_ids, strict=True)):
        hashes = item.hashes
        matches = answer_matches.get(n)
        answers.append(
            {
                "key": item.key,
                "check_id": check_id,
                "content_id": item.meta.content_id,
                "content_type": item.meta.content_type,
                "matched": matches is not None,
                "actions": [] if matches is None else list(words_of[n]),
                "matches": [] if matches is None else matches,
                "replayed": False,
                "checked_at": now,
                "hash_types": [hashes[0][0]] if len(hashes) == 1 else sorted({t for t, _ in hashes}),
            }
        )
    return answers


def _count_by(state: HubState, kind: str, checks: int, by_list: Counter[str], by_action: Counter[str]) -> None:
    """Metrics of new (not retroactive) matches counted by list and by action."""
    metrics = state.metrics
    metrics.checks.labels(kind).inc(checks)
    for list_id, n in by_list.items():
        metrics.matches.labels(list_id, "false").inc(n)
    for word, n in by_action.items():
        metrics.actions.labels(word).inc(n)


def _count(state: HubState, kind: str, checks: int, matches: list[dict[str, Any]]) -> None:
    """Metrics, counted first (a labelled child per increment cost more than the count)."""
    metrics = state.metrics
    metrics.checks.labels(kind).inc(checks)
    by_list: Counter[tuple[str, str]] = Counter()
    by_action: Counter[str] = Counter()
    for m in matches:
        by_list[str(m["list_id"]), str(m["retroactive"]).lower()] += 1
        by_action.update(m["actions"])
    for labels, n in by_list.items():
        metrics.matches.labels(*labels).inc(n)
    for word, n in by_action.items():
        metrics.actions.labels(word).inc(n)


def _match_answer(m: dict[str, Any]) -> dict[str, Any]:
    details = m["details"]
    return {
        "match_id": m["id"],
        "query": details.get("query", 0),
        "hash_type": m["hash_type"],
        "distance": m["distance"],
        "list_id": m["list_id"],
        "list_name": details["list_name"],
        "entry_id": m["entry_id"],
        "classification": details["classification"],
        "labels": list(details["labels"]),
        "feedback": details["feedback"],
        "rule": m["rule"],
        "actions": list(m["actions"]),
        "suppressed": bool(m.get("suppressed", details.get("suppressed", False))),
        "retroactive": m["retroactive"],
        "created_at": m["created_at"],
        "details": {k: details[k] for k in _VIDEO_FIELDS if k in details},
    }


def _answer(check: dict[str, Any], matches: list[dict[str, Any]], *, replayed: bool, key: str) -> dict[str, Any]:
    return {
        "key": key,
        "check_id": check["id"],
        "content_id": check["content_id"],
        "content_type": check["content_type"],
        "matched": check["matched"],
        "actions": list(check["actions"]),
        "matches": [_match_answer(m) for m in matches],
        "replayed": replayed,
        "checked_at": check["created_at"],
        "hash_types": sorted({h["type"] for h in check["hashes"]}),
    }


def _columns(row: ContentCheck | ContentMatch) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


def _stored_answers(session: Session, ids: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Answers of checks already recorded, by idempotency key."""
    checks = store.checks_by_id(session, ids.values())
    matches = store.matches_of(session, ids.values())
    out = {}
    for key, check_id in ids.items():
        rows = [_columns(m) for m in matches.get(check_id, [])]
        out[key] = _answer(_columns(checks[check_id]), rows, replayed=True, key=key)
    return out


def get_check(state: HubState, caller: Caller, check_id: int) -> dict[str, Any]:
    """One of the org's checks with its matches (another org's answers 404)."""
    with state.db.reading() as session:
        check = store.get_check(session, caller.org_id, check_id)
        answer = _stored_answers(session, {check.idempotency_key: check.id})[check.idempotency_key]
    answer.pop("key")
    answer["replayed"] = False
    return answer


# --- Retroactive matching -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Hit:
    check_id: int
    org_id: int
    content_hash: tuple[str, str]
    list_id: int
    entry_id: int
    hash_type: str
    distance: int


def run_retroactive(state: HubState) -> int:
    """Match the list hashes that arrived since the last round against the checks within retention (new hashes
    only: no rescan); every new match goes through the org's rules like a live one, marked retroactive, its events
    carrying the check's original time. Returns how many matches were made."""
    new = state.check_hashes.take_new()
    if not new or state.settings.check_retention_days <= 0:
        return 0
    since = utcnow() - _retention(state)
    by_type: dict[str, list[tuple[int, str, int, int]]] = defaultdict(list)
    for _, hash_type, value, list_id, entry_id in new:
        by_type[hash_type].append((0, value, list_id, entry_id))
    hits: list[_Hit] = []
    for hash_type, rows in by_type.items():
        hits += _hits_of_type(state, hash_type, rows, since)
    if not hits:
        return 0
    return _record_retroactive(state, hits)


def _hits_of_type(
    state: HubState, hash_type: str, rows: list[tuple[int, str, int, int]], since: datetime
) -> list[_Hit]:
    values = [value for _, value, _, _ in rows]
    found: list[tuple[int, int, int, str, int]] = []  # (new row, check id, org id, check hash value, distance)
    if in_memory(hash_type):
        # Each new hash searched only as far as its list's threshold (a radius of 63 for all would cost the
        # multi-index search far more than the usual 31).
        thresholds = state.caches.policy.thresholds(state.db)
        by_radius: dict[int, list[int]] = defaultdict(list)
        for n, (_, _, list_id, _) in enumerate(rows):
            by_radius[min(thresholds.get(list_id, 0), PDQ_THRESHOLD_MAX)].append(n)
        hits: list[tuple[int, int, int]] = []
        for radius, group in by_radius.items():
            matches = state.check_hashes.query(hash_type, [values[n] for n in group], radius)
            query = np.repeat(np.asarray(group, dtype=np.int64), matches.counts).tolist()
            hits += zip(query, matches.ids.tolist(), matches.distances.tolist(), strict=True)
        if not hits:
            return []
        with state.db.reading() as session:
            owners = store.check_hashes_by_id(session, [i for _, i, _ in hits], since)
        for q, i, d in hits:
            if i in owners:
                check_id, org_id, value = owners[i]
                found.append((q, check_id, org_id, value, d))
    elif _exact(hash_type):
        positions: dict[str, list[int]] = defaultdict(list)
        for n, value in enumerate(values):
            positions[value].append(n)
        with state.db.reading() as session:
            for _, check_id, org_id, value in store.check_hashes_by_value(session, hash_type, list(positions), since):
                found.extend((n, check_id, org_id, value, 0) for n in positions[value])
    else:
        return []  # long-valued types (videos) are not kept for retroactive matching
    near = get_hash_type(hash_type).index_kind is IndexKind.HAMMING256
    out = []
    for n, check_id, org_id, value, distance in found:
        _, _, list_id, entry_id = rows[n]
        lists = state.caches.policy.visible(state.db, org_id)
        if list_id not in lists or distance > (lists[list_id][1] if near else 0):
            continue
        out.append(_Hit(check_id, org_id, (hash_type, value), list_id, entry_id, hash_type, distance))
    return out


def _exact(hash_type: str) -> bool:
    try:
        found = get_hash_type(hash_type)
    except Exception:
        return False
    return found.hex_chars is not None and found.index_kind is not IndexKind.HAMMING256


def _record_retroactive(state: HubState, hits: list[_Hit]) -> int:
    facts = state.caches.entries.get_many(state.db, {h.entry_id for h in hits})
    best: dict[tuple[int, int], _Hit] = {}
    for hit in hits:
        entry = facts.get(hit.entry_id)
        if entry is None or (hit.org_id, Verdict.DISPUTE.value) in entry.feedback:
            continue  # removed, or disputed by the checking org itself
        key = (hit.check_id, hit.entry_id)
        if key not in best or hit.distance < best[key].distance:
            best[key] = hit
    by_org: dict[int, list[_Hit]] = defaultdict(list)
    for hit in best.values():
        by_org[hit.org_id].append(hit)
    made = 0
    for org_id, org_hits in by_org.items():
        made += _record_org(state, org_id, org_hits, facts)
    return made


def _record_org(state: HubState, org_id: int, hits: list[_Hit], facts: dict[int, Any]) -> int:
    now = utcnow()
    lists = state.caches.policy.visible(state.db, org_id)
    match_rows: list[dict[str, Any]] = []
    with state.db.writing() as session:
        # The checks locked first: on PostgreSQL no foreign key keeps the purge from deleting a check while its
        # retroactive match and review item are written (migration 0016); a check purged meanwhile is left out.
        locked = store.checks_by_id(session, {h.check_id for h in hits}, lock=True)
        done = store.matched_pairs(session, [(h.check_id, h.entry_id) for h in hits])
        hits = [h for h in hits if (h.check_id, h.entry_id) not in done]
        if not hits:
            return 0
        checks = {i: _columns(c) for i, c in locked.items()}
        hits = [h for h in hits if h.check_id in checks]
        rules = rules_service.specs(session, org_id)
        suppressed = rules_store.suppressed(session, org_id, [h.content_hash for h in hits])
        decisions = []
        for hit in hits:
            entry = facts[hit.entry_id]
            confirms = sum(1 for _, v in entry.feedback if v == Verdict.CONFIRM.value)
            details = {
                "query": 0,
                "list_name": lists[hit.list_id][0],
                "classification": entry.classification,
                "labels": list(entry.labels),
                "feedback": {"confirm": confirms, "dispute": len(entry.feedback) - confirms},
            }
            match: dict[str, Any] = {
                "check_id": hit.check_id,
                "org_id": org_id,
                "list_id": hit.list_id,
                "entry_id": hit.entry_id,
                "hash_type": hit.hash_type,
                "distance": hit.distance,
                "retroactive": True,
                "details": details,
                "created_at": now,
            }
            answer_like = {**match, **details, "labels": details["labels"], "feedback": details["feedback"]}
            answer_like["list_name"] = details["list_name"]
            d = _decide(rules, suppressed, hit.content_hash, _facts(answer_like, checks[hit.check_id]["content_type"]))
            match["rule"] = d.rule
            match["actions"] = d.verbs
            details["suppressed"] = d.suppressed
            decisions.append(d)
            match_rows.append(match)
        ids = store.insert_matches(session, match_rows)
        acts = _Acts(session, org_id)
        words_of: dict[int, list[str]] = {}
        for match, match_id, d in zip(match_rows, ids, decisions, strict=True):
            match["id"] = match_id
            check = checks[match["check_id"]]
            acts.apply(d, check, match)
            words = words_of.setdefault(check["id"], list(check["actions"]))
            _merge(words, d.verbs)
        acts.finish()
        for check_id, words in words_of.items():
            store.set_outcome(session, check_id, words)
        audit.record(
            session,
            None,
            "content.retroactive",
            count=len(match_rows),
            detail={"org_id": org_id, "checks": len(words_of), "events": acts.events},
        )
    _count(state, "retroactive", 0, match_rows)
    return len(match_rows)


# --- Retention ---------------------------------------------------------------------------------------------------


def load_check_hashes(state: HubState) -> None:
    """Build the in-memory index of recent checks' near-match hashes (at start)."""
    since = utcnow() - _retention(state)
    state.check_hashes.load(state.db, since, list(hash_type_names()))


def purge_expired(state: HubState) -> int:
    """Delete checks older than the retention period (with their matches and hashes; checks under review stay,
    their hashes go). Returns how many checks went."""
    cutoff = utcnow() - _retention(state)
    total = 0
    while not state.stop.is_set():
        with state.db.writing() as session:
            gone, hashes = store.purge_before(session, cutoff)
        state.check_hashes.forget(hashes)
        total += gone
        if not gone and not hashes:
            break
    return total

"""The entry cache: what a match shows of each entry, kept in memory and warmed in the background.

Filled on a miss, by the refresh that follows each write, and by a warm-up over every entry at start; see
:mod:`sharedhash.server.memory.caches` for how writes invalidate it.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sharedhash.store.db import Database
from sharedhash.store.feedback import feedback_changed_since, feedback_fingerprint
from sharedhash.store.lookup import EntryFacts, active_entry_facts, entry_facts

log = logging.getLogger(__name__)


class _Fill:
    __slots__ = ("invalidated", "poisoned")

    def __init__(self) -> None:
        self.invalidated: set[int] = set()
        self.poisoned = False


_MISSING: Any = object()

#: An id above every entry's: the upper end of a warm-up over all of them.
_NO_END = 2**63 - 1

#: Entries refreshed by writes are read into the cache once writes have paused this long.
QUEUE_SETTLE_SECONDS = 1.0
#: Entries read at a time from ranges bulk writes made (small: a new bulk write stops the reading between pages).
_WRITTEN_PAGE = 10_000


class EntryCache:
    """Facts of entries (classification, labels, contributor, feedback) by id; None marks a removed entry.

    Filled on a miss, by the refresh that keeps the indexes current and by a warm-up at start, up to
    ``max_entries``; invalidated by the same refresh and by feedback written through this server.
    """

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._facts: dict[int, EntryFacts | None] = {}
        self._fills: list[_Fill] = []
        # Entries without an external id or feedback mostly share their facts: keep one copy of each.
        self._shared: dict[EntryFacts, EntryFacts] = {}
        self._queue: list[int] = []
        # Id ranges of entries a bulk write just created, read into the cache a range at a time.
        self._ranges: list[tuple[int, int]] = []
        # Bulk writes in progress: their CPU comes first, so written ranges wait until none runs.
        self._bulk_writes = 0
        # Entries kept with verdicts since the feedback watch's last round: it re-reads them once (see there).
        self._with_feedback: set[int] = set()
        self._last_queued = 0.0
        self._queued = threading.Condition(self._lock)
        self.rewarm = threading.Event()
        self._warming = False
        #: How many times everything was forgotten (feedback changed elsewhere in a way not narrowed to entries).
        self.clears = 0

    def __len__(self) -> int:
        return len(self._facts)

    @property
    def warming(self) -> bool:
        """True while the warmer has work (a warm-up pending or running, or refreshed entries queued)."""
        return self.max_entries > 0 and (
            self._warming or self.rewarm.is_set() or bool(self._queue) or bool(self._ranges)
        )

    def __contains__(self, entry_id: object) -> bool:
        return entry_id in self._facts

    def get_many(self, db: Database, entry_ids: Iterable[int]) -> dict[int, EntryFacts | None]:
        """Facts of these entries; misses are read from the database in one go (and kept)."""
        out: dict[int, EntryFacts | None] = {}
        missing: list[int] = []
        facts = self._facts
        for entry_id in entry_ids:
            found = facts.get(entry_id, _MISSING)
            if found is _MISSING:
                missing.append(entry_id)
            else:
                out[entry_id] = found
        if missing:
            out.update(self.fill(db, missing))
        return out

    def fill(self, db: Database, entry_ids: list[int]) -> dict[int, EntryFacts | None]:
        """Read these entries' facts and keep those no write touched while they were being read."""
        return self._read_and_keep(db, lambda session: entry_facts(session, entry_ids))

    def _read_and_keep(
        self, db: Database, read: Callable[[Session], dict[int, EntryFacts | None]]
    ) -> dict[int, EntryFacts | None]:
        fill = _Fill()
        with self._lock:
            self._fills.append(fill)
        try:
            with db.reading() as session:
                found = read(session)
        except BaseException:
            with self._lock:
                self._fills.remove(fill)
            raise
        # Unregistering and keeping under one lock: an invalidation in between would otherwise be missed.
        with self._lock:
            self._fills.remove(fill)
            if not fill.poisoned:
                room = self.max_entries - len(self._facts)
                for entry_id, facts in found.items():
                    if room <= 0:
                        break
                    if entry_id in fill.invalidated:
                        continue
                    if facts is not None and facts.feedback:
                        self._with_feedback.add(entry_id)
                    if facts is not None and facts.external_id is None:
                        facts = self._shared.setdefault(facts, facts)
                    if entry_id not in self._facts:
                        room -= 1
                    self._facts[entry_id] = facts
        return found

    def invalidate(self, entry_ids: Iterable[int]) -> None:
        """These entries changed (committed): forget them, and keep no fill that read them before the change."""
        ids = list(entry_ids)
        with self._lock:
            for entry_id in ids:
                self._facts.pop(entry_id, None)
            for fill in self._fills:
                fill.invalidated.update(ids)

    def take_with_feedback(self) -> set[int]:
        """Entries kept with verdicts since the last call."""
        with self._lock:
            taken, self._with_feedback = self._with_feedback, set()
            return taken

    def refreshed(self, entry_ids: Iterable[int]) -> None:
        """The indexes just refreshed these entries: forget them, and read them again in the background."""
        ids = list(entry_ids)
        self.invalidate(ids)
        if self.max_entries > 0:
            with self._lock:
                self._queue.extend(ids)
                self._last_queued = time.monotonic()
                self._queued.notify()

    def written(self, first: int, last: int) -> None:
        """A bulk write created the entries with ids ``first`` to ``last`` (perhaps others' among them): read them
        in the background, by id range (cheaper than a list of ids, and no warm-up over every entry)."""
        if self.max_entries > 0:
            with self._lock:
                self._ranges.append((first, last))
                self._last_queued = time.monotonic()
                self._queued.notify()

    @contextmanager
    def bulk_write(self) -> Iterator[None]:
        """Hold this around a bulk write: ranges written meanwhile wait until no bulk write runs (a client sending
        ten imports in a row gets the CPU for them; lookups read misses themselves meanwhile)."""
        with self._lock:
            self._bulk_writes += 1
        try:
            yield
        finally:
            with self._lock:
                self._bulk_writes -= 1
                self._last_queued = time.monotonic()

    def take_ranges(self) -> list[tuple[int, int]]:
        """Id ranges written since the last call, once writes have paused (see :meth:`take_queued`)."""
        with self._lock:
            if not self._ranges or self._bulk_writes or time.monotonic() - self._last_queued < QUEUE_SETTLE_SECONDS:
                return []
            taken, self._ranges = self._ranges, []
            # Until the warmer has read them (it clears this): `warming` must not read False in between.
            self._warming = True
            return taken

    def warm_range(
        self,
        db: Database,
        first: int,
        last: int,
        stop: threading.Event,
        page: int = 50_000,
        *,
        yield_to_writes: bool = False,
    ) -> int:
        """Read the active entries with ids ``first`` to ``last``; return how many were read.

        With ``yield_to_writes``, a bulk write beginning meanwhile stops the reading between pages and the rest of
        the range waits for writes to pause again (measured: a warmer that went on reading 700,000 entries beside
        the next import took half its CPU)."""
        read = 0
        position = first - 1
        while not stop.is_set() and position < last and len(self._facts) < self.max_entries:
            if yield_to_writes and self._bulk_writes:
                with self._lock:
                    self._ranges.append((position + 1, last))
                break

            def read_page(session: Session, after: int = position) -> dict[int, EntryFacts | None]:
                found, _ = active_entry_facts(session, after=after, limit=min(page, last - after))
                return found

            found = self._read_and_keep(db, read_page)
            if not found:
                break
            read += len(found)
            position = max(found)
        return read

    def read_written(self, db: Database, ranges: list[tuple[int, int]], stop: threading.Event) -> int:
        """Read the ranges :meth:`take_ranges` handed out; return how many entries were read. ``warming`` reads
        True from the moment they were taken until this returns."""
        try:
            return sum(
                self.warm_range(db, first, last, stop, _WRITTEN_PAGE, yield_to_writes=True) for first, last in ranges
            )
        finally:
            self._warming = False

    def clear(self) -> None:
        """Forget everything (feedback changed in a way that cannot be narrowed to entries); warm up again."""
        with self._lock:
            self.clears += 1
            self._facts.clear()
            self._shared.clear()
            for fill in self._fills:
                fill.poisoned = True
        self.rewarm.set()

    def take_queued(self, limit: int, timeout: float) -> list[int]:
        """Up to ``limit`` queued entry ids, waiting up to ``timeout`` seconds for some.

        Nothing is handed out while refreshes keep coming (a bulk import is running: its CPU comes first, and
        lookups read misses themselves meanwhile). A backlog over ``limit`` is dropped for one warm-up over every
        entry, which reads id ranges and costs less per entry than reading lists of ids.
        """
        with self._lock:
            if not self._queue:
                self._queued.wait(timeout)
            if not self._queue or time.monotonic() - self._last_queued < QUEUE_SETTLE_SECONDS:
                return []
            if len(self._queue) > limit:
                self._queue = []
                self.rewarm.set()
                return []
            taken, self._queue = self._queue, []
            return [i for i in taken if i not in self._facts]

    def warm(self, db: Database, stop: threading.Event, page: int = 50_000) -> int:
        """Read every active entry's facts, a range of ids at a time, until full; return how many were read."""
        self._warming = True
        try:
            return self.warm_range(db, 1, _NO_END, stop, page)
        finally:
            self._warming = False


class FeedbackWatch:
    """Sees feedback given or withdrawn by other processes, from the table's row count and newest time.

    Verdicts given or replaced elsewhere are found by their time and invalidated one by one (so another process's
    dispute suppresses within a round); a withdrawal elsewhere (fewer rows than this process accounts for) cannot
    be narrowed to an entry, and clears the entry cache.
    """

    def __init__(self, entries: EntryCache) -> None:
        self._entries = entries
        self._lock = threading.Lock()
        self._seen: tuple[int, datetime | None] | None = None
        self._local_delta = 0

    def committed_here(self, delta: int) -> None:
        """This process committed ``delta`` more (or fewer) feedback rows."""
        with self._lock:
            self._local_delta += delta

    def poll(self, session: Session) -> None:
        """Invalidate entries whose feedback changed since the last round."""
        # A verdict given and withdrawn elsewhere between two rounds leaves the fingerprint as it was, but a miss
        # in between may have cached the verdict: every entry kept with verdicts is read again once after a round.
        recheck = self._entries.take_with_feedback()
        count, newest = feedback_fingerprint(session)
        with self._lock:
            local, self._local_delta = self._local_delta, 0
        if self._seen is not None and (count, newest) != self._seen:
            seen_count, seen_newest = self._seen
            if count < seen_count + local:
                self._entries.clear()
            else:
                self._entries.invalidate(feedback_changed_since(session, seen_newest))
        self._seen = (count, newest)
        self._entries.invalidate(recheck)


#: Below this many indexed hashes a full collection is quick, and nothing is frozen.
FREEZE_FROM_HASHES = 100_000


def _freeze_long_lived(indexed: int) -> None:
    if indexed < FREEZE_FROM_HASHES:
        return
    # The indexes' id maps and the entry cache are a few huge dicts that live as long as the server; a full
    # collection traverses them (measured 160 ms at 1M entries), which showed as lookups' p99. Freezing moves
    # everything alive now out of the collector's reach; later objects are collected as usual.
    gc.collect()
    gc.freeze()


def run_entry_warmer(
    entries: EntryCache,
    db: Database,
    ready: threading.Event,
    stop: threading.Event,
    indexed: Callable[[], int] = lambda: 0,
) -> None:
    """Background thread: once the indexes are loaded, read every entry's facts, then those of refreshed ones.

    After the load and after each full warm-up, the objects alive are frozen out of the garbage collector.
    """
    while not ready.wait(0.5):
        if stop.is_set():
            return
    _freeze_long_lived(indexed())
    if entries.max_entries <= 0:
        return
    entries.rewarm.set()
    while not stop.is_set():
        try:
            if entries.rewarm.is_set():
                entries._warming = True  # before the event clears, so `warming` never reads False in between
                entries.rewarm.clear()
                log.info("entry cache warmed: %d entries", entries.warm(db, stop))
                _freeze_long_lived(indexed())
            queued = entries.take_queued(50_000, timeout=0.5)
            if queued:
                entries.fill(db, queued)
            ranges = entries.take_ranges()
            if ranges:
                read = entries.read_written(db, ranges, stop)
                log.info("entry cache read %d written entries", read)
                if read >= FREEZE_FROM_HASHES:
                    _freeze_long_lived(indexed())
        except Exception:  # a database hiccup must not end the warmer; lookups read misses themselves
            log.exception("warming the entry cache failed")
            stop.wait(1)

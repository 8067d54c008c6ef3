"""The server's in-memory indexes: one per hash type across all lists, built at start, then kept current.

Ids in the indexes are entry-hash row ids. Every write refreshes the touched entries at once (after its commit);
a follower thread also picks up writes made by other processes (``sharedhash sync`` into a running node) by
watching each list's feed ``seq``. There is never a periodic full rebuild.

A hash id goes through at most three states, never backwards: absent, active, dead. Refreshes may therefore be
applied in any order. Lookups trust the indexes (no database recheck per hit): a write through this server is in
them before its response is sent, another process's write after the follower's next round.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from sharedhash.errors import SharedhashError
from sharedhash.index import HashIndex, SegmentedIndex, make_index
from sharedhash.server.errors import IndexLoadingError
from sharedhash.store.bulkwrite import paused_gc
from sharedhash.store.db import Database
from sharedhash.store.entries import hash_rows_of_entries, iter_active_hash_columns
from sharedhash.store.feed import changed_entries_since
from sharedhash.store.lists import all_list_seqs

log = logging.getLogger(__name__)
_REFRESH_CHUNK = 5000


@dataclass(frozen=True, slots=True)
class Hit:
    """An index hit resolved to its list and entry."""

    distance: int
    hash_id: int
    list_id: int
    entry_id: int


class IndexSet:
    """Indexes for every hash type, and where each indexed hash id belongs."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._indexes: dict[str, HashIndex] = {}
        self._where: dict[int, tuple[str, int, int]] = {}
        self._dead: set[int] = set()
        self._list_seq: dict[int, int] = {}
        self.ready = threading.Event()
        self.load_error: str | None = None
        #: Called with the entry ids of every refresh, after the indexes took it in (the lookup caches).
        self.on_refresh: list[Callable[[list[int]], None]] = []
        #: Called with the follower's session every round, to look for other processes' writes.
        self.on_follow: list[Callable[[Session], None]] = []

    def _index(self, hash_type: str) -> HashIndex:
        index = self._indexes.get(hash_type)
        if index is None:
            index = self._indexes[hash_type] = make_index(hash_type)
        return index

    def load(self, db: Database) -> None:
        """Build every index from the database (at start); lookups wait for :attr:`ready`."""
        try:
            with paused_gc(), db.reading() as session:
                self._list_seq = all_list_seqs(session)
                values: dict[str, list[str]] = defaultdict(list)
                ids: dict[str, list[int]] = defaultdict(list)
                for hash_ids, types, batch_values, list_ids, entry_ids in iter_active_hash_columns(session):
                    with self._lock:
                        self._where.update(zip(hash_ids, zip(types, list_ids, entry_ids, strict=True), strict=True))
                    for hash_id, hash_type, value in zip(hash_ids, types, batch_values, strict=True):
                        values[hash_type].append(value)
                        ids[hash_type].append(hash_id)
            for hash_type in list(values):
                self._build_loaded(hash_type, values.pop(hash_type), ids.pop(hash_type))
            log.info("indexes loaded: %s", {t: len(i) for t, i in self._indexes.items()})
        except Exception as exc:  # a failed load must show on /readyz rather than kill the server silently
            self.load_error = f"{type(exc).__name__}: {exc}"
            log.exception("loading the indexes failed")
            raise
        self.ready.set()

    def _build_loaded(self, hash_type: str, values: list[str], ids: list[int]) -> None:
        """One hash type's index built in one pass from every loaded hash (fast indexes from arrays: no
        compaction after every batch)."""
        try:
            index = make_index(hash_type)
            if isinstance(index, SegmentedIndex):
                index = type(index).from_arrays(index.encode(values), np.asarray(ids, dtype=np.int64))
            else:
                index.add(values, ids)
        except SharedhashError:
            # A hash type no longer registered (a plug-in removed): its hashes cannot be searched.
            log.warning("skipping %d hashes of unusable type %s", len(ids), hash_type)
            with self._lock:
                for hash_id in ids:
                    self._where.pop(hash_id, None)
            return
        with self._lock:
            self._indexes[hash_type] = index

    def add_written(
        self,
        rows: Iterable[tuple[int, str, str, int, int, bool]],
        *,
        list_id: int | None = None,
        seq_range: tuple[int, int] | None = None,
    ) -> None:
        """Index hashes a committed write has just added, given as ``(hash id, type, value, list id, entry id,
        active)`` (bulk import hands over what it wrote instead of having it read back).

        ``seq_range`` are the consecutive feed changes of ``list_id`` the write made, all of them in ``rows``: if
        the follower had seen everything just before them, it is moved past them, so it does not read them all
        back from the database."""
        self._apply(rows)
        if list_id is not None and seq_range is not None:
            with self._lock:
                if self._list_seq.get(list_id, 0) == seq_range[0] - 1:
                    self._list_seq[list_id] = seq_range[1]

    def _apply(self, rows: Iterable[tuple[int, str, str, int, int, bool]]) -> None:
        adds: dict[str, tuple[list[str], list[int]]] = defaultdict(lambda: ([], []))
        removes: dict[str, list[int]] = defaultdict(list)
        with self._lock:
            for hash_id, hash_type, value, list_id, entry_id, active in rows:
                if hash_id in self._dead:
                    continue
                if active:
                    if hash_id not in self._where:
                        values, ids = adds[hash_type]
                        values.append(value)
                        ids.append(hash_id)
                        self._where[hash_id] = (hash_type, list_id, entry_id)
                else:
                    self._dead.add(hash_id)
                    if self._where.pop(hash_id, None) is not None:
                        removes[hash_type].append(hash_id)
            for hash_type, (values, ids) in adds.items():
                try:
                    self._index(hash_type).add(values, ids)
                except SharedhashError:
                    # A hash type no longer registered (a plug-in removed): its hashes cannot be searched.
                    log.warning("skipping %d hashes of unusable type %s", len(ids), hash_type)
                    for hash_id in ids:
                        self._where.pop(hash_id, None)
            for hash_type, ids in removes.items():
                self._index(hash_type).remove(ids)

    def refresh_entries(self, session: Session, entry_ids: Iterable[int]) -> None:
        """Bring the indexes in line with the committed state of these entries' hashes."""
        ids = list(entry_ids)
        # In chunks: a 100,000-entry import would otherwise exceed PostgreSQL's 65,535 bind parameters.
        for start in range(0, len(ids), _REFRESH_CHUNK):
            self._apply(hash_rows_of_entries(session, ids[start : start + _REFRESH_CHUNK]))
        for hook in self.on_refresh:
            hook(ids)

    def refresh_after_write(self, db: Database, entry_ids: Iterable[int]) -> None:
        """Called after a write commits: its hashes match (or stop matching) from now on."""
        ids = list(entry_ids)
        if ids:
            with db.reading() as session:
                self.refresh_entries(session, ids)

    def follow(self, db: Database) -> int:
        """Pick up changes committed by anyone since the last call; return how many entries were refreshed."""
        refreshed = 0
        with db.reading() as session:
            for list_id, seq in all_list_seqs(session).items():
                known = self._list_seq.get(list_id, 0)
                if seq <= known:
                    continue
                entry_ids, newest = changed_entries_since(session, list_id, known)
                self.refresh_entries(session, entry_ids)
                refreshed += len(entry_ids)
                with self._lock:
                    self._list_seq[list_id] = max(self._list_seq.get(list_id, 0), newest)
            for hook in self.on_follow:
                hook(session)
        return refreshed

    def query(self, hash_type: str, values: Sequence[str], max_distance: int) -> list[list[Hit]]:
        """Hits for each value, resolved to list and entry; waits briefly for the first load."""
        if not self.ready.wait(timeout=10):
            raise IndexLoadingError("the indexes are still loading")
        with self._lock:
            index = self._indexes.get(hash_type)
        if index is None:
            return [[] for _ in values]
        if isinstance(index, SegmentedIndex):
            # The fast indexes guard themselves (readers in parallel with writers), so lookups do not queue
            # behind each other here; the id-to-entry map is read under our lock below.
            found = index.query_batch(list(values), max_distance)
        else:
            with self._lock:
                found = index.query_batch(list(values), max_distance)
        with self._lock:
            out: list[list[Hit]] = []
            for matches in found:
                hits = []
                for m in matches:
                    where = self._where.get(m.id)
                    if where is not None:
                        hits.append(Hit(distance=m.distance, hash_id=m.id, list_id=where[1], entry_id=where[2]))
                out.append(hits)
            return out

    def sizes(self) -> dict[str, int]:
        """Number of indexed hashes per hash type."""
        with self._lock:
            return {t: len(i) for t, i in sorted(self._indexes.items())}

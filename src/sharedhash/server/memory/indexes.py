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
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import NamedTuple, TypeVar

import numpy as np
from sqlalchemy.orm import Session

from sharedhash.errors import SharedhashError
from sharedhash.hashing.vpdq import MatchRule, VpdqHash
from sharedhash.hub_errors import IndexLoadingError
from sharedhash.index import HashIndex, SegmentedIndex, make_index
from sharedhash.index.base import IndexMatch
from sharedhash.index.segments import Matches
from sharedhash.index.video import FrameHit, VideoHit, VideoIndex
from sharedhash.server.memory.hash_owners import ABSENT, ACTIVE, HashOwners
from sharedhash.store.db import Database
from sharedhash.store.entries import hash_rows_of_entries, iter_active_hash_columns
from sharedhash.store.feed import changed_entries_since
from sharedhash.store.gc import paused_gc
from sharedhash.store.lists import all_list_seqs

log = logging.getLogger(__name__)
_REFRESH_CHUNK = 5000
_Hit = TypeVar("_Hit", VideoHit, FrameHit)


class FoundHits(NamedTuple):
    """Index hits of a batch of values as flat arrays: value ``query[i]`` (its position in the batch) hit hash
    ``hash_ids[i]`` of entry ``entry_ids[i]`` in list ``list_ids[i]`` at ``distances[i]``; by query, nearest first."""

    query: np.ndarray
    hash_ids: np.ndarray
    list_ids: np.ndarray
    entry_ids: np.ndarray
    distances: np.ndarray


class IndexSet:
    """Indexes for every hash type, and where each indexed hash id belongs."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        # Held for each follower round, and by a writer from its commit until it has handed over what it wrote.
        self._round = threading.Lock()
        self._indexes: dict[str, HashIndex] = {}
        self._owners = HashOwners()
        self._list_seq: dict[int, int] = {}
        self.ready = threading.Event()
        self.load_error: str | None = None
        #: Called with the entry ids of every refresh, after the indexes took it in (the lookup caches).
        self.on_refresh: list[Callable[[list[int]], None]] = []
        #: Called with the lowest and highest entry id of every bulk write handed over (the entry cache).
        self.on_written: list[Callable[[int, int], None]] = []
        #: Called with the follower's session every round, to look for other processes' writes.
        self.on_follow: list[Callable[[Session], None]] = []
        #: Called with every hash that became active after the first load, as ``(hash id, type, value, list id,
        #: entry id)`` (retroactive matching of recent checks against new list hashes only).
        self.on_added: list[Callable[[list[tuple[int, str, str, int, int]]], None]] = []

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
                        self._owners.activate(
                            np.asarray(hash_ids, dtype=np.int64),
                            np.asarray(list_ids, dtype=np.int32),
                            np.asarray(entry_ids, dtype=np.int64),
                        )
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
                self._owners.forget(np.asarray(ids, dtype=np.int64))
            return
        with self._lock:
            self._indexes[hash_type] = index

    @contextmanager
    def handing_over(self) -> Iterator[None]:
        """Hold this around a bulk write's commit and its :meth:`add_written` call: the follower cannot start a
        round in between, which would see the new feed changes and read every written entry back from the
        database (measured: a 300,000-entry import kept the follower busy for ~30 s and halved lookup throughput).
        """
        with self._round:
            yield

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
        batch = rows if isinstance(rows, list) else list(rows)
        self._apply(batch)
        if batch:
            entry_ids = [r[4] for r in batch]
            for hook in self.on_written:
                hook(min(entry_ids), max(entry_ids))
        if list_id is not None and seq_range is not None:
            with self._lock:
                if self._list_seq.get(list_id, 0) == seq_range[0] - 1:
                    self._list_seq[list_id] = seq_range[1]

    def _apply(self, rows: Iterable[tuple[int, str, str, int, int, bool]]) -> None:
        batch = rows if isinstance(rows, list) else list(rows)
        if not batch:
            return
        hash_ids = np.fromiter((r[0] for r in batch), dtype=np.int64, count=len(batch))
        active = np.fromiter((r[5] for r in batch), dtype=bool, count=len(batch))
        with self._lock:
            # Removals first: a hash removed anywhere in the batch ends dead, whatever order the rows came in.
            gone = np.flatnonzero(~active)
            gone = gone[self._owners.states(hash_ids[gone]) == ACTIVE]
            self._owners.kill(hash_ids[~active])
            # Adds: ids seen for the first time (not active, not dead), each once.
            new = np.flatnonzero(active)
            new = new[self._owners.states(hash_ids[new]) == ABSENT]
            new = new[np.unique(hash_ids[new], return_index=True)[1]] if len(new) else new
            if len(new):
                self._owners.activate(
                    hash_ids[new],
                    np.fromiter((batch[i][3] for i in new.tolist()), dtype=np.int32, count=len(new)),
                    np.fromiter((batch[i][4] for i in new.tolist()), dtype=np.int64, count=len(new)),
                )
            for hash_type, positions in _by_type(batch, new).items():
                values, ids = [batch[i][2] for i in positions], [batch[i][0] for i in positions]
                try:
                    self._index(hash_type).add(values, ids)
                except SharedhashError:
                    # A hash type no longer registered (a plug-in removed): its hashes cannot be searched.
                    log.warning("skipping %d hashes of unusable type %s", len(ids), hash_type)
                    self._owners.forget(np.asarray(ids, dtype=np.int64))
            for hash_type, positions in _by_type(batch, gone).items():
                self._index(hash_type).remove([batch[i][0] for i in positions])
        if len(new) and self.on_added:
            added = [(batch[i][0], batch[i][1], batch[i][2], batch[i][3], batch[i][4]) for i in new.tolist()]
            for hook in self.on_added:
                hook(added)

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
        with self._round, db.reading() as session:
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

    def query(self, hash_type: str, values: Sequence[str], max_distance: int) -> FoundHits:
        """Hits of each value, resolved to list and entry; waits briefly for the first load."""
        if not self.ready.wait(timeout=10):
            raise IndexLoadingError("the indexes are still loading")
        with self._lock:
            index = self._indexes.get(hash_type)
        if index is None:
            found = Matches(np.zeros(len(values), dtype=np.int64), *(np.zeros(0, dtype=np.int64),) * 2)
        elif isinstance(index, SegmentedIndex):
            # The fast indexes guard themselves (readers in parallel with writers), so lookups do not queue
            # behind each other here; the owners are read under our lock below.
            found = index.query_batch_array(index.encode(list(values)), max_distance)
        else:
            with self._lock:
                found = _as_matches(index.query_batch(list(values), max_distance))
        query = np.repeat(np.arange(len(values)), found.counts)
        with self._lock:
            alive, list_ids, entry_ids = self._owners.resolve(found.ids)
        return FoundHits(query[alive], found.ids[alive], list_ids[alive], entry_ids[alive], found.distances[alive])

    def has_entries(self, hash_type: str) -> bool:
        """Whether any hash of this type is indexed."""
        with self._lock:
            index = self._indexes.get(hash_type)
        return index is not None and len(index) > 0

    def _ready_index(self, hash_type: str) -> HashIndex | None:
        if not self.ready.wait(timeout=10):
            raise IndexLoadingError("the indexes are still loading")
        with self._lock:
            return self._indexes.get(hash_type)

    def _owned(self, hits: Sequence[_Hit]) -> list[tuple[_Hit, int, int]]:
        """``(hit, list id, entry id)`` of each hit whose hash id is active (call under the lock)."""
        alive, list_ids, entry_ids = self._owners.resolve(np.asarray([h.id for h in hits], dtype=np.int64))
        return [
            (hit, int(lst), int(ent))
            for hit, ok, lst, ent in zip(hits, alive.tolist(), list_ids.tolist(), entry_ids.tolist(), strict=True)
            if ok
        ]

    def query_videos(self, hash_type: str, video: VpdqHash, rule: MatchRule) -> list[tuple[VideoHit, int, int]]:
        """Listed videos of a video-indexed type (``IndexKind.VPDQ``) that ``video`` matches by ``rule``, as
        ``(hit, list id, entry id)``; the hit's id is the hash id."""
        index = self._ready_index(hash_type)
        if not isinstance(index, VideoIndex):
            return []
        with self._lock:
            return self._owned(index.query_video(video, rule))

    def query_video_frames(self, hash_type: str, image: str, max_distance: int) -> list[tuple[FrameHit, int, int]]:
        """Listed videos of a video-indexed type one of whose frames is within ``max_distance`` of an image's hash
        (its type being the video type's ``frame_type``), as ``(hit, list id, entry id)``, nearest first."""
        index = self._ready_index(hash_type)
        if not isinstance(index, VideoIndex):
            return []
        with self._lock:
            return self._owned(index.query_image(image, max_distance))

    def values_maybe_in(self, list_id: int, last_seq: int, hash_type: str, values: list[str]) -> list[str] | None:
        """Which of ``values`` may be active hashes of ``list_id`` (the others surely are not), or None if unknown.

        Known only when the indexes have taken in every change of the list up to ``last_seq`` (as a writer holding
        the list's lock read it) and the hash type has a fast index: then an active hash of the list is indexed.
        """
        if not self.ready.is_set():
            return None
        with self._lock:
            current = self._list_seq.get(list_id, 0) == last_seq
            index = self._indexes.get(hash_type)
        if not current:
            return None
        if index is None:
            return []  # no hash of this type anywhere
        if not isinstance(index, SegmentedIndex):
            return None
        found = self.query(hash_type, values, 0)
        return [values[i] for i in np.unique(found.query[found.list_ids == list_id]).tolist()]

    def compacting(self) -> list[str]:
        """Hash types whose index is merging recent writes in the background (lookups are slower meanwhile)."""
        with self._lock:
            indexes = sorted(self._indexes.items())
        return [t for t, i in indexes if isinstance(i, SegmentedIndex) and i.compacting]

    def sizes(self) -> dict[str, int]:
        """Number of indexed hashes per hash type."""
        with self._lock:
            return {t: len(i) for t, i in sorted(self._indexes.items())}


def _by_type(batch: list[tuple[int, str, str, int, int, bool]], positions: np.ndarray) -> dict[str, list[int]]:
    """Positions of ``batch`` grouped by hash type."""
    groups: dict[str, list[int]] = defaultdict(list)
    for i in positions.tolist():
        groups[batch[i][1]].append(i)
    return groups


def _as_matches(answers: list[list[IndexMatch]]) -> Matches:
    """The flat form of a slow index's answers."""
    flat = [m for matches in answers for m in matches]
    return Matches(
        np.array([len(m) for m in answers], dtype=np.int64),
        np.array([m.id for m in flat], dtype=np.int64),
        np.array([m.distance for m in flat], dtype=np.int64),
    )

"""What retroactive matching keeps in memory: the near-match hashes of recent checks, and the list hashes that
arrived since the last round.

Near-match types (``index_kind`` ``HAMMING256``, e.g. PDQ) of checks are held in one index per type, by check-hash
row id: built at start from the checks within retention, appended after each check commits, and told of every
purge. Exact types are not held here: the store finds them by value (``check_hashes`` is indexed on it).

The indexes (:class:`~sharedhash.server.memory.indexes.IndexSet`) hand over every list hash that becomes active
(a contribution, a bulk import, a sync in this process or another); :meth:`CheckHashes.take_new` gives them to
the act service's retroactive round. Hashes of the initial load are not new.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime

import numpy as np

from sharedhash.errors import SharedhashError
from sharedhash.hashing import get_hash_type
from sharedhash.hashing.types.base import IndexKind
from sharedhash.index import HashIndex, Matches, SegmentedIndex, make_index
from sharedhash.store.checks import check_hash_columns
from sharedhash.store.db import Database
from sharedhash.store.gc import paused_gc

log = logging.getLogger(__name__)

#: A list hash that became active: ``(hash id, type, value, list id, entry id)``.
NewHash = tuple[int, str, str, int, int]


def in_memory(hash_type: str) -> bool:
    """Whether check hashes of this type are matched through the in-memory index (else by value in the store)."""
    try:
        return get_hash_type(hash_type).index_kind is IndexKind.HAMMING256
    except SharedhashError:
        return False


def kept(hash_type: str, value: str) -> bool:
    """Whether a check hash is kept for retroactive matching: fixed-width types (long video values are not)."""
    return fixed_width(hash_type) and len(value) <= KEPT_CHARS


#: The longest check hash value kept (with a type of :func:`fixed_width`).
KEPT_CHARS = 128


def fixed_width(hash_type: str) -> bool:
    """Whether values of this type have a fixed width (the first half of :func:`kept`)."""
    try:
        found = get_hash_type(hash_type)
    except SharedhashError:
        return False
    return found.hex_chars is not None


class CheckHashes:
    """Near-match check hashes by type, and the queue of new list hashes."""

    def __init__(self, max_pending: int = 5_000_000) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[str, HashIndex] = {}
        self._pending: list[NewHash] = []
        self._max_pending = max_pending
        self.dropped = 0
        self.ready = threading.Event()
        # Check hashes added while the first load runs: taken in again after it (those it did not read).
        self._early: list[tuple[int, str, str]] = []

    def load(self, db: Database, since: datetime, hash_types: Sequence[str]) -> None:
        """Build the indexes from the check hashes made since ``since`` (at start)."""
        types = [t for t in hash_types if in_memory(t)]
        built: dict[str, HashIndex] = {}
        loaded = 0
        with paused_gc():
            for hash_type in types:
                index = make_index(hash_type)
                rows: list[np.ndarray] = []
                id_parts: list[np.ndarray] = []
                values: list[str] = []
                with db.reading() as session:
                    for batch_ids, batch_values in check_hash_columns(session, hash_type, since):
                        id_parts.append(np.asarray(batch_ids, dtype=np.int64))
                        if isinstance(index, SegmentedIndex):
                            rows.append(index.encode(batch_values))  # 32 bytes a PDQ, not a 100-byte str
                        else:
                            values.extend(batch_values)
                if not id_parts:
                    continue
                ids = np.concatenate(id_parts)
                loaded = max(loaded, int(ids.max()))
                if isinstance(index, SegmentedIndex):
                    index = type(index).from_arrays(np.concatenate(rows), ids)
                else:
                    index.add(values, ids.tolist())
                built[hash_type] = index
        with self._lock:
            self._indexes = built
            early, self._early = self._early, []
            self.ready.set()
        self.add(row for row in early if row[0] > loaded)
        log.info("check hashes loaded: %s", self.sizes())

    def add(self, rows: Iterable[tuple[int, str, str]]) -> None:
        """Check hashes ``(id, type, value)`` just committed (types matched by value are skipped)."""
        by_type: dict[str, tuple[list[str], list[int]]] = {}
        batch = list(rows)
        if not self.ready.is_set():
            with self._lock:
                if not self.ready.is_set():
                    self._early.extend(batch)
        skipped: set[str] = set()  # types matched by value, each asked once (a batch has 10,000 rows of one type)
        for row_id, hash_type, value in batch:
            found = by_type.get(hash_type)
            if found is None:
                if hash_type in skipped or not in_memory(hash_type):
                    skipped.add(hash_type)
                    continue
                found = by_type[hash_type] = ([], [])
            found[0].append(value)
            found[1].append(row_id)
        with self._lock:
            for hash_type, (vals, ids) in by_type.items():
                index = self._indexes.get(hash_type)
                if index is None:
                    index = self._indexes[hash_type] = make_index(hash_type)
                index.add(vals, ids)

    def forget(self, rows: Iterable[tuple[int, str]]) -> None:
        """Check hashes ``(id, type)`` purged from the store."""
        by_type: dict[str, list[int]] = {}
        for row_id, hash_type in rows:
            by_type.setdefault(hash_type, []).append(row_id)
        with self._lock:
            for hash_type, ids in by_type.items():
                index = self._indexes.get(hash_type)
                if index is not None:
                    index.remove(ids)

    def query(self, hash_type: str, values: Sequence[str], max_distance: int) -> Matches:
        """Check hashes of this type within ``max_distance`` of each value (flat arrays, by value)."""
        with self._lock:
            index = self._indexes.get(hash_type)
        if index is None or not len(index):
            zeros = np.zeros(0, dtype=np.int64)
            return Matches(np.zeros(len(values), dtype=np.int64), zeros, zeros)
        if isinstance(index, SegmentedIndex):
            return index.query_batch_array(index.encode(list(values)), max_distance)
        with self._lock:
            answers = index.query_batch(list(values), max_distance)
        flat = [m for found in answers for m in found]
        return Matches(
            np.array([len(found) for found in answers], dtype=np.int64),
            np.array([m.id for m in flat], dtype=np.int64),
            np.array([m.distance for m in flat], dtype=np.int64),
        )

    def sizes(self) -> dict[str, int]:
        """Check hashes held per type."""
        with self._lock:
            return {t: len(i) for t, i in sorted(self._indexes.items())}

    def list_hashes_added(self, rows: Sequence[NewHash]) -> None:
        """The indexes took in these new list hashes: queue them for the next retroactive round (a hook of
        :class:`~sharedhash.server.memory.indexes.IndexSet`). Beyond ``max_pending`` waiting, the oldest are dropped
        and counted (:attr:`dropped`): the round is far behind, and the live path still matches every new check."""
        with self._lock:
            self._pending.extend(rows)
            over = len(self._pending) - self._max_pending
            if over > 0:
                del self._pending[:over]
                self.dropped += over

    def take_new(self) -> list[NewHash]:
        """Every queued new list hash, emptying the queue."""
        with self._lock:
            out, self._pending = self._pending, []
        return out

    def pending(self) -> int:
        """How many new list hashes wait for a retroactive round."""
        with self._lock:
            return len(self._pending)

"""The base of the hub's batching buffers (lookup audit tallies, deterrence counters): sums kept in memory under
a lock and written in one transaction per flush, so that no request waits for a database write. A failed write
puts the sums back for the next flush rather than lose them; a flush holds a second lock for its whole length, so
a reader that flushes first (the audit and stats routes) waits for sums another flush has taken but not yet
committed, instead of reading the table without them."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import MutableMapping
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

from sharedhash.store.db import Database

K = TypeVar("K")
V = TypeVar("V")


class BatchBuffer(ABC, Generic[K, V]):
    """Sums by key, written by :meth:`_write` on each :meth:`flush`. Subclasses add to ``self._pending`` under
    ``self._lock``."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._pending: MutableMapping[K, V] = self._empty()

    @abstractmethod
    def _empty(self) -> MutableMapping[K, V]:
        """A new, empty mapping of pending sums."""

    @abstractmethod
    def _write(self, session: Session, pending: MutableMapping[K, V]) -> int:
        """Write ``pending`` in ``session``'s transaction; return how many rows or events."""

    @abstractmethod
    def _restore(self, key: K, taken: V) -> None:
        """Put the sums ``taken`` for ``key`` back into ``self._pending`` (the lock is held)."""

    def flush(self) -> int:
        """Write every pending sum in one transaction; return what :meth:`_write` counted."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, self._empty()
            if not pending:
                return 0
            try:
                with self._db.writing() as session:
                    return self._write(session, pending)
            except Exception:
                with self._lock:  # keep them for the next flush rather than lose them
                    for key, taken in pending.items():
                        self._restore(key, taken)
                raise

"""Lookup audit events, written in batches: one write per lookup would serialise every lookup on the database.

Events wait at most ``flush_seconds`` in memory (a crash loses at most that much of the lookup log; writes are
audited in their own transaction and are never buffered).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sharedhash.store import audit
from sharedhash.store.db import Database
from sharedhash.store.visibility import Caller

log = logging.getLogger(__name__)


class AuditBuffer:
    """Collects audit events and writes them in one transaction per flush."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._lock = threading.Lock()
        # Held for a whole flush, so that a reader flushing first (``GET /v1/audit``) waits for events the
        # background flush has taken but not yet committed, instead of reading the log without them.
        self._flush_lock = threading.Lock()
        self._pending: list[tuple[Caller, str, int, dict[str, Any]]] = []

    def add(self, caller: Caller, action: str, count: int, detail: dict[str, Any]) -> None:
        """Queue one event."""
        with self._lock:
            self._pending.append((caller, action, count, detail))

    def flush(self) -> int:
        """Write every queued event; return how many."""
        with self._flush_lock:
            return self._flush()

    def _flush(self) -> int:
        with self._lock:
            pending, self._pending = self._pending, []
        if not pending:
            return 0
        try:
            with self._db.writing() as session:
                audit.record_many(session, pending)
        except Exception:
            with self._lock:  # keep them for the next flush rather than lose them
                self._pending = pending + self._pending
            raise
        return len(pending)

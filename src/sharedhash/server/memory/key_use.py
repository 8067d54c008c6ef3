"""Keys' last-used times, written in batches (issue 18 F10).

A request whose key was last recorded as used more than a minute ago used to write the new time itself, in its own
transaction: at 500 concurrent connections with fresh keys, those writes took every pooled connection (3 x 500)
and requests failed. Now the request only notes the time here (and the key cache takes it at once, so the next
request is "fresh" and takes the fast paths); the background loop writes every noted time in one statement each
``audit_flush_seconds``, and once more at shutdown. Listing keys flushes first, so it shows what was noted."""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime

from sqlalchemy.orm import Session

from sharedhash.server.memory.batching import BatchBuffer
from sharedhash.store.orgs import touch_keys


class KeyUseBuffer(BatchBuffer[int, datetime]):
    """The newest last-used time of each key since the last flush."""

    def note(self, key_id: int, when: datetime) -> None:
        """Key ``key_id`` was used at ``when``."""
        with self._lock:
            known = self._pending.get(key_id)
            if known is None or when > known:
                self._pending[key_id] = when

    def _empty(self) -> dict[int, datetime]:
        return {}

    def _write(self, session: Session, pending: MutableMapping[int, datetime]) -> int:
        return touch_keys(session, dict(pending))

    def _restore(self, key: int, taken: datetime) -> None:
        newer = self._pending.get(key)
        if newer is None or taken > newer:
            self._pending[key] = taken

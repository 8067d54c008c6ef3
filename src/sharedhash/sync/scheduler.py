"""Run the configured subscriptions that are due (the server calls this on a schedule)."""

from __future__ import annotations

import threading

from sharedhash.store.db import Database


def run_due_subscriptions(db: Database, *, stop: threading.Event | None = None) -> int:
    """Sync every due subscription; return how many entries changed locally."""
    return 0

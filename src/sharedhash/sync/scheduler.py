"""Run the configured subscriptions that are due (the server calls this on a schedule)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from sharedhash.client import Client
from sharedhash.errors import SharedhashError
from sharedhash.store.db import Database
from sharedhash.store.mirror import list_subscriptions
from sharedhash.store.models import Org, Subscription, utcnow

log = logging.getLogger(__name__)


def _due(sub: Subscription) -> bool:
    return sub.last_run_at is None or utcnow() - sub.last_run_at >= timedelta(seconds=sub.interval_seconds)


def run_due_subscriptions(
    db: Database, *, stop: threading.Event | None = None, on_commit: Callable[[list[int]], None] | None = None
) -> int:
    """Sync every due subscription; return how many entries changed locally. Failures are recorded, not raised."""
    from sharedhash.sync.mirror import sync_from

    with db.reading() as session:
        due = [(s.id, s.url, s.api_key, session.get(Org, s.org_id)) for s in list_subscriptions(session) if _due(s)]
    changed = 0
    for sub_id, url, api_key, org in due:
        if stop is not None and stop.is_set():
            break
        error: str | None = None
        try:
            with Client(url, api_key) as client:
                changed += sync_from(
                    db, client, org_name=org.name if org else None, stop=stop, on_commit=on_commit
                ).changed
        except SharedhashError as exc:
            error = f"{exc.code}: {exc.message}"
            log.warning("subscription %d to %s failed: %s", sub_id, url, error)
        with db.writing() as session:
            sub = session.get(Subscription, sub_id)
            if sub is not None:
                sub.last_run_at = utcnow()
                sub.last_error = error
    return changed

"""Run the configured subscriptions that are due (the server calls this on a schedule)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from sharedhash.client import Client
from sharedhash.errors import SharedhashError
from sharedhash.settings import Settings
from sharedhash.store.db import Database
from sharedhash.store.mirror import list_subscriptions, record_subscription_run
from sharedhash.store.models import Subscription, utcnow
from sharedhash.store.orgs import org_by_id
from sharedhash.store.secretbox import SecretBox, is_sealed
from sharedhash.sync.mirror import sync_from

log = logging.getLogger(__name__)


def _due(sub: Subscription) -> bool:
    return sub.last_run_at is None or utcnow() - sub.last_run_at >= timedelta(seconds=sub.interval_seconds)


def run_due_subscriptions(
    db: Database,
    *,
    stop: threading.Event | None = None,
    on_commit: Callable[[list[int]], None] | None = None,
    settings: Settings | None = None,
) -> int:
    """Sync every due subscription; return how many entries changed locally. Failures are recorded, not raised.

    Stored API keys are opened with the node's secret key (``settings``, default: the environment's); an older
    plaintext one is encrypted once it has been used."""
    with db.reading() as session:
        due = [(s.id, s.url, s.api_key, org_by_id(session, s.org_id)) for s in list_subscriptions(session) if _due(s)]
    changed = 0
    box: SecretBox | None = None
    for sub_id, url, stored_key, org in due:
        if stop is not None and stop.is_set():
            break
        error: str | None = None
        reseal: str | None = None
        try:
            box = box or SecretBox.from_settings(settings)
            api_key = box.open(stored_key)
            if not is_sealed(stored_key):
                reseal = box.seal(api_key)
            with Client(url, api_key) as client:
                changed += sync_from(
                    db, client, org_name=org.name if org else None, stop=stop, on_commit=on_commit
                ).changed
        except SharedhashError as exc:
            error = f"{exc.code}: {exc.message}"
            log.warning("subscription %d to %s failed: %s", sub_id, url, error)
        with db.writing() as session:
            record_subscription_run(session, sub_id, error, reseal=reseal, sealed_from=stored_key)
    return changed

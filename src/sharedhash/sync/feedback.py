"""Send the feedback a node's orgs gave on mirrored entries to the source hubs, from the durable outbox.

Each queued verdict is sent with the key of the org's subscription to that hub (``PUT`` or ``DELETE`` of the
entry's feedback there, which are idempotent: sending twice, after a crash between sending and marking, changes
nothing). A hub that cannot be reached, or an org without a subscription to it, leaves the verdict pending for the
next round (the table survives restarts); a hub that refuses it for good (the entry is gone, the access ended, the
verdict is invalid there) marks it ``dropped`` with the reason.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass

from sharedhash.client import Client
from sharedhash.client.errors import HubUnreachableError, UnexpectedResponseError
from sharedhash.errors import (
    AuthenticationError,
    InvalidInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    SharedhashError,
)
from sharedhash.settings import Settings
from sharedhash.store.db import Database
from sharedhash.store.feedback import (
    OUTBOX_DROPPED,
    OUTBOX_SENT,
    OutboxItem,
    outbox_done,
    outbox_failed,
    pending_outbox,
)
from sharedhash.store.mirror import subscription_for
from sharedhash.store.secretbox import SecretBox

log = logging.getLogger(__name__)


@dataclass(slots=True)
class SendReport:
    """What one round of sending did."""

    sent: int = 0
    dropped: int = 0
    waiting: int = 0


def _send_one(client: Client, item: OutboxItem) -> None:
    if item.action == "withdraw":
        try:
            client.withdraw_feedback(item.source_entry_id)
        except NotFoundError:
            pass  # nothing to withdraw there: the outcome wanted
        return
    client.give_feedback(item.source_entry_id, item.verdict or "", item.reason or "", item.note)


@dataclass(frozen=True, slots=True)
class GivenKey:
    """A remote key given by hand (``sharedhash sync --from URL``) for one local org's verdicts to that hub, used
    where the org has no subscription to it."""

    org_id: int
    url: str
    key: str


def send_pending_feedback(
    db: Database,
    *,
    settings: Settings | None = None,
    stop: threading.Event | None = None,
    limit: int = 500,
    given: GivenKey | None = None,
) -> SendReport:
    """Send the oldest pending verdicts to their source hubs (see the module's description). With ``given``, only
    that org's verdicts to that hub, with the key given by hand where the org has no subscription there."""
    report = SendReport()
    with db.reading() as session:
        items = pending_outbox(session, limit)
        groups: dict[tuple[int, str], list[OutboxItem]] = defaultdict(list)
        for item in items:
            groups[(item.org_id, item.source_url)].append(item)
        keys = {}
        for org_id, url in groups:
            sub = subscription_for(session, org_id, url)
            keys[(org_id, url)] = sub.api_key if sub is not None else None
    box: SecretBox | None = None
    for (org_id, url), group in groups.items():
        if stop is not None and stop.is_set():
            break
        if given is not None and (given.org_id, given.url) != (org_id, url):
            continue  # by hand: only the given org's verdicts to the given hub
        sealed = keys[(org_id, url)]
        by_hand = given is not None and sealed is None
        if sealed is None and not by_hand:
            with db.writing() as session:
                for item in group:
                    outbox_failed(session, item.id, f"no subscription of this org to {url}: kept until there is one")
            report.waiting += len(group)
            continue
        if given is not None and by_hand:
            key = given.key
        else:
            assert sealed is not None
            box = box or SecretBox.from_settings(settings)
            key = box.open(sealed)
        with Client(url, key) as client:
            for n, item in enumerate(group):
                try:
                    _send_one(client, item)
                except (HubUnreachableError, UnexpectedResponseError, RateLimitedError, AuthenticationError) as exc:
                    # The hub is down, busy or does not take the key now: all of this hub's verdicts wait.
                    with db.writing() as session:
                        for rest in group[n:]:
                            outbox_failed(session, rest.id, f"{exc.code}: {exc.message}")
                    report.waiting += len(group) - n
                    log.warning("feedback for %s waits: %s", url, exc.code)
                    break
                except (NotFoundError, PermissionDeniedError, InvalidInputError) as exc:
                    with db.writing() as session:
                        outbox_done(session, item.id, OUTBOX_DROPPED, f"{exc.code}: {exc.message}")
                    report.dropped += 1
                except SharedhashError as exc:
                    with db.writing() as session:
                        outbox_failed(session, item.id, f"{exc.code}: {exc.message}")
                    report.waiting += 1
                else:
                    with db.writing() as session:
                        outbox_done(session, item.id, OUTBOX_SENT)
                    report.sent += 1
    if report.sent or report.dropped:
        log.info(
            "feedback to source hubs: %d sent, %d dropped, %d waiting", report.sent, report.dropped, report.waiting
        )
    return report

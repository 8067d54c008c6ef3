"""Optional automatic contribution: when a review is confirmed, the content's hashes are added to the list of its
own that the org chose, with the classification and the provenance (the review item and the time), through the
entries service (one entry per content; a second confirmation of the same content finds the same entry)."""

from __future__ import annotations

import logging
from typing import Any

from sharedhash.errors import SharedhashError
from sharedhash.hub_errors import ReadOnlyListError
from sharedhash.server.accounts.service import Who, record
from sharedhash.server.entries import service as entries
from sharedhash.server.state import HubState
from sharedhash.store import audit, validation
from sharedhash.store.lists import get_owned_list
from sharedhash.store.models import ReviewItem, utcnow

log = logging.getLogger(__name__)

LABEL = "review-confirmed"


def check_list(session: Any, who: Who, list_id: int) -> None:
    """The chosen list must be the org's own and not a mirror (404 / 403 / 409 otherwise)."""
    found = get_owned_list(session, who.caller, list_id)
    if found.source_url is not None:
        raise ReadOnlyListError(f"hash list {list_id} mirrors {found.source_url}; choose a list of your org's own")


def provenance(item: ReviewItem) -> tuple[str, list[str]]:
    """The external id and labels that say where a contributed entry came from."""
    when = (item.decided_at or utcnow()).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"review-item:{item.id}", [LABEL, f"review-item:{item.id}", f"reviewed-at:{when}"]


def contribute(state: HubState, who: Who, item: ReviewItem, hashes: list[dict[str, Any]], list_id: int) -> int | None:
    """Add a confirmed content's hashes to the org's chosen list; the entry id, or None if nothing was added.
    Runs after the decision committed: a failure is recorded and logged, and the decision stands."""
    usable: list[tuple[str, str, int | None]] = []
    for h in hashes:
        try:
            value = validation.validate_hash(
                str(h["type"]), str(h["value"]), h.get("quality"), min_quality=state.settings.pdq_min_quality
            )
        except (SharedhashError, KeyError):
            continue  # e.g. a PDQ hash under the quality floor: the other hashes still go
        usable.append((value.hash_type, value.value, value.quality))
    external_id, labels = provenance(item)
    target = f"review_item:{item.id}"
    if not usable:
        with state.db.writing() as session:
            record(session, who, "review.contribute_skipped", target=target, list_id=list_id, reason="no usable hash")
        return None
    try:
        view, created = entries.add(
            state,
            who.caller,
            list_id,
            usable,
            classification=item.classification,
            labels=labels,
            external_id=external_id,
        )
    except SharedhashError as exc:
        log.warning("review item %s: automatic contribution to list %s failed: %s", item.id, list_id, exc.code)
        with state.db.writing() as session:
            record(session, who, "review.contribute_failed", target=target, list_id=list_id, code=exc.code)
        return None
    with state.db.writing() as session:
        record(
            session,
            who,
            "review.contributed",
            target=target,
            list_id=list_id,
            entry_id=view.entry.id,
            created=created,
            hashes=[f"{t}:{audit.hash_prefix(v)}" for t, v, _ in usable],
        )
    return view.entry.id

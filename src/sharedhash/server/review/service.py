"""The review queue: people take the next item (claimed by one person at a time), see why it matched, view its
media through the proxy within their exposure cap, and decide. Each decision is one transaction with its audit
record and its consequences, each one call below (feedback on the matched entries, the webhook event), so the
consequences other parts add later (feedback to the source hub, suppression) are one more call each.

Anything outside the person's org, or (the lead queue, reverting) outside their role, is answered 404 and recorded.
Queries are in :mod:`sharedhash.store.review`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum, StrEnum
from typing import Any, NoReturn, ParamSpec, TypeVar

from sharedhash import limits
from sharedhash.errors import NotFoundError, SharedhashError
from sharedhash.hashing import get_hash_type
from sharedhash.server.accounts.service import Who, record
from sharedhash.server.reports import service as reports
from sharedhash.server.review import contribution, quarantine
from sharedhash.server.review import frames as video_frames
from sharedhash.server.review import media as proxy
from sharedhash.server.review.errors import (
    ExposureCapError,
    InvalidDecisionError,
    ItemClaimedError,
    ItemDecidedError,
    ItemNotDecidedError,
)
from sharedhash.server.state import HubState
from sharedhash.store import feedback as feedback_store
from sharedhash.store import outbox
from sharedhash.store import quarantine as quarantine_store
from sharedhash.store import review as store
from sharedhash.store import rules as rules_store
from sharedhash.store.disputes import quarantine_if_due
from sharedhash.store.models import (
    Classification,
    ContentCheck,
    ReviewItem,
    ReviewSettings,
    ReviewState,
    Role,
    Verdict,
    utcnow,
)

P = ParamSpec("P")


class Unset(Enum):
    """A setting left as it is."""

    UNSET = "unset"


UNSET = Unset.UNSET
T = TypeVar("T")


class Decision(StrEnum):
    """What a person decides about an item."""

    CONFIRMED = "confirmed"
    FALSE_POSITIVE = "false_positive"
    ESCALATED = "escalated"


class SkipReason(StrEnum):
    """Why a person skipped an item."""

    NEEDS_CONTEXT = "needs_context"
    MEDIA_UNAVAILABLE = "media_unavailable"
    CONFLICT_OF_INTEREST = "conflict_of_interest"
    WELLBEING = "wellbeing"
    OTHER = "other"


class MediaSize(StrEnum):
    """Thumbnail (first) or full size."""

    THUMB = "thumb"
    FULL = "full"


def _guarded(func: Callable[P, T]) -> Callable[P, T]:
    """A service function whose refusals are recorded (its first two arguments are the state and the person)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        state, who = args[0], args[1]
        assert isinstance(state, HubState)
        assert isinstance(who, Who)
        with recorded(state, who):
            return func(*args, **kwargs)

    return wrapper


def _cutoff(state: HubState) -> datetime:
    return utcnow() - timedelta(seconds=state.settings.review_claim_seconds)


class _Refused(Exception):
    """Carries a refusal out of the transaction it happened in (which rolls back) to be recorded."""

    def __init__(self, action: str, target: str, error: SharedhashError) -> None:
        super().__init__(error.message)
        self.action, self.target, self.error = action, target, error


def refuse(state: HubState, who: Who, action: str, target: str, error: SharedhashError) -> NoReturn:
    """Refuse a request: whatever it wrote is rolled back, then :func:`recorded` records the refusal."""
    raise _Refused(action, target, error)


@contextmanager
def recorded(state: HubState, who: Who) -> Iterator[None]:
    """Around a service call: a refusal is recorded in its own transaction, after the refused one rolled back."""
    try:
        yield
    except _Refused as refused:
        with state.db.writing() as session:
            record(
                session,
                who,
                "review.refused",
                target=refused.target,
                attempted=refused.action,
                code=refused.error.code,
            )
        raise refused.error from None


def _queues(session: Any, who: Who) -> dict[str, int]:
    """The queues this person works: every queue of the org; the lead queue only for leads and admins."""
    queues = store.queues_of_org(session, who.org_id)
    if not who.at_least(Role.LEAD):
        queues.pop(store.LEAD_QUEUE, None)
    return queues


def _item(state: HubState, session: Any, who: Who, item_id: int, action: str) -> ReviewItem:
    """An item of the person's org in a queue they work, else 404 (recorded)."""
    item = store.item_of_org(session, who.org_id, item_id)
    if item is None or item.queue_id not in _queues(session, who).values():
        refuse(state, who, action, f"review_item:{item_id}", NotFoundError(f"no review item with id {item_id}"))
    return item


@dataclass
class Overview:
    """The queue page: open items in hand-out order, and today's exposure."""

    rows: list[store.QueueRow]
    queues: list[str]
    exposure_today: int
    daily_cap: int


@_guarded
def overview(state: HubState, who: Who) -> Overview:
    """Open items of the queues this person works."""
    with state.db.reading() as session:
        queues = _queues(session, who)
        settings = store.settings_of(session, who.org_id)
        return Overview(
            rows=store.open_items(session, who.org_id, list(queues.values())),
            queues=sorted(queues),
            exposure_today=store.exposure(session, who.person_id, _today()),
            daily_cap=settings.daily_cap,
        )


@_guarded
def take_next(state: HubState, who: Who) -> int | None:
    """Claim the next item for this person (their own open claim first); its id, or None if the queue is empty."""
    now = utcnow()
    with state.db.writing() as session:
        queues = _queues(session, who)
        item = store.next_item(session, who.org_id, list(queues.values()), who.person_id, _cutoff(state))
        if item is None:
            return None
        if item.claimed_by != who.person_id:
            item.claimed_by, item.claimed_at = who.person_id, now
            record(session, who, "review.claim", target=f"review_item:{item.id}")
        else:
            item.claimed_at = now
        return item.id


@dataclass
class ItemView:
    """Everything the item page shows (never a full hash value; media only through the proxy)."""

    item: ReviewItem
    queue: str
    check: ContentCheck
    matches: list[store.MatchFacts]
    uploader_matches: list[store.UploaderMatch]
    viewed: bool
    views: int
    mine: bool
    claimed_by_other: bool
    exposure_today: int
    daily_cap: int
    break_due: bool
    has_media: bool
    previous_id: int | None
    #: The content's media is in the quarantine store (rather than behind the proxy).
    quarantined: bool = False
    #: Seconds of the video where frames matched (vPDQ match facts), for "show only the matched frames".
    matched_seconds: list[float] = field(default_factory=list)


@_guarded
def view_item(state: HubState, who: Who, item_id: int) -> ItemView:
    """The item page: opening an open, unclaimed item claims it for this person (audited)."""
    now = utcnow()
    with state.db.writing() as session:
        item = _item(state, session, who, item_id, "view")
        claimed_by_other = False
        if item.state == ReviewState.OPEN.value:
            if store.claim(session, item.id, who.person_id, now, _cutoff(state)):
                record(session, who, "review.open", target=f"review_item:{item.id}")
            else:
                claimed_by_other = True
            session.refresh(item)
        check = store.check_of_item(session, item)
        settings = store.settings_of(session, who.org_id)
        exposure = store.exposure(session, who.person_id, _today())
        views = store.views_of_check(session, who.org_id, check.id)
        matches = store.matches_of_check(session, who.org_id, check.id)
        kept = quarantine_store.file_of_check(session, who.org_id, check.id) is not None
        return ItemView(
            item=item,
            queue=store.queue_name_of(session, item.queue_id),
            check=check,
            matches=matches,
            uploader_matches=(
                store.other_matches_of_uploader(session, who.org_id, check.uploader_id, check.id)
                if check.uploader_id
                else []
            ),
            viewed=bool(views),
            views=len(views),
            mine=item.claimed_by == who.person_id and item.state == ReviewState.OPEN.value,
            claimed_by_other=claimed_by_other,
            exposure_today=exposure,
            daily_cap=settings.daily_cap,
            break_due=settings.break_every > 0 and exposure > 0 and exposure % settings.break_every == 0,
            has_media=bool(check.url) or kept,
            previous_id=_previous(session, who, item),
            quarantined=kept,
            matched_seconds=video_frames.matched_seconds(m.details for m in matches),
        )


def _previous(session: Any, who: Who, item: ReviewItem) -> int | None:
    before = item.id if item.decided_by == who.person_id else None
    found = store.decided_by_person(session, who.org_id, who.person_id, before)
    return found.id if found is not None else None


def _today() -> date:
    return utcnow().date()


def _open_and_mine(state: HubState, session: Any, who: Who, item: ReviewItem, action: str) -> None:
    if item.state != ReviewState.OPEN.value:
        refuse(state, who, action, f"review_item:{item.id}", ItemDecidedError("the item was decided already"))
    fresh = item.claimed_at is not None and item.claimed_at >= _cutoff(state)
    if item.claimed_by not in (None, who.person_id) and fresh:
        refuse(state, who, action, f"review_item:{item.id}", ItemClaimedError("another person holds this item"))


@_guarded
def decide(
    state: HubState,
    who: Who,
    item_id: int,
    decision: str,
    classification: str | None = None,
    note: str = "",
) -> ReviewItem:
    """Decide an item: ``confirmed`` (with a classification), ``false_positive``, or ``escalated`` (to the lead
    queue). The decision, its audit record, the feedback on the matched entries and the webhook event are one
    transaction: all or nothing."""
    try:
        chosen = Decision(decision)
        grade = Classification(classification) if classification else None
    except ValueError:
        raise InvalidDecisionError(f"unknown decision {decision!r} or classification {classification!r}") from None
    if chosen is Decision.CONFIRMED and grade is None:
        raise InvalidDecisionError("a confirmation needs a classification (A1, A2, B1, B2)")
    if len(note) > limits.MAX_NOTE_CHARS:
        raise InvalidDecisionError(f"a note is at most {limits.MAX_NOTE_CHARS} characters")
    now = utcnow()
    unlink: str | None = None
    with state.db.writing() as session:
        item = _item(state, session, who, item_id, f"decide.{chosen.value}")
        _open_and_mine(state, session, who, item, f"decide.{chosen.value}")
        check = store.check_of_item(session, item)
        if chosen is Decision.ESCALATED:
            item.queue_id = store.queue_named(session, who.org_id, store.LEAD_QUEUE).id
            item.claimed_by, item.claimed_at = None, None
            record(session, who, "review.escalated", target=f"review_item:{item.id}", note_chars=len(note))
            return item
        item.state, item.decision = ReviewState.DECIDED.value, chosen.value
        item.classification = grade.value if grade else None
        item.decided_by, item.decided_at = who.person_id, now
        item.claimed_by, item.claimed_at = None, None
        verdict = Verdict.CONFIRM if chosen is Decision.CONFIRMED else Verdict.DISPUTE
        fed = give_feedback(session, who, check, verdict, note)
        suppressed = suppress_content(session, who, check) if chosen is Decision.FALSE_POSITIVE else 0
        sent = send_event(session, who, item, check, f"review.{chosen.value}")
        drafted = reports.draft_from_review(session, reports.for_person(who), item, check) if grade else None
        unlink = quarantine.after_decision(session, state.settings, check.id, chosen.value, now)
        contribute_to = store.settings_of(session, who.org_id).contribute_list_id
        record(
            session,
            who,
            f"review.{chosen.value}",
            target=f"review_item:{item.id}",
            classification=item.classification,
            feedback_entries=fed,
            suppressed=suppressed,
            event=sent,
            report=drafted,
            quarantine_deleted=unlink is not None,
        )
        hashes = list(check.hashes or [])
    quarantine.removed_after_commit(state.settings, unlink)
    if chosen is Decision.CONFIRMED and contribute_to is not None:
        contribution.contribute(state, who, item, hashes, contribute_to)
    return item


def give_feedback(session: Any, who: Who, check: ContentCheck, verdict: Verdict, note: str) -> int:
    """Consequence: the org's verdict on every entry the content matched (local feedback); how many entries."""
    reason = feedback_store.Reason.VERIFIED if verdict is Verdict.CONFIRM else feedback_store.Reason.FALSE_POSITIVE
    given = 0
    for entry_id in sorted({m.entry_id for m in store.matches_of_check(session, who.org_id, check.id)}):
        try:
            row = feedback_store.give_feedback(session, who.caller, entry_id, verdict, reason, note)
        except NotFoundError:
            continue  # the entry is gone (removed from its list) or no longer readable: nothing to give feedback on
        # A mirrored entry's verdict goes to its source hub too (queued in this transaction, sent by a loop).
        feedback_store.enqueue_for_source(
            session, who.caller, entry_id, verdict=row.verdict, reason=row.reason, note=row.note
        )
        if verdict is Verdict.DISPUTE:
            quarantine_if_due(session, entry_id)
        given += 1
    return given


def suppress_content(session: Any, who: Who, check: ContentCheck) -> int:
    """Consequence of a false positive: the content's hashes go on the org's suppression list, so the same content
    never triggers an action again; how many were new."""
    added = 0
    for h in check.hashes:
        if get_hash_type(str(h["type"])).hex_chars is None:
            continue  # long values (a video's frames): its file digests are suppressed instead
        _, created = rules_store.add_suppression(
            session, who.org_id, str(h["type"]), str(h["value"]), f"false positive (review item of check {check.id})"
        )
        added += created
    return added


def withdraw_feedback(session: Any, who: Who, check: ContentCheck) -> int:
    """Consequence of a revert: the org's verdicts on the content's entries are withdrawn; how many."""
    withdrawn = 0
    for entry_id in sorted({m.entry_id for m in store.matches_of_check(session, who.org_id, check.id)}):
        try:
            feedback_store.withdraw_feedback(session, who.caller, entry_id)
        except NotFoundError:
            continue
        feedback_store.enqueue_for_source(session, who.caller, entry_id)
        withdrawn += 1
    return withdrawn


def send_event(session: Any, who: Who, item: ReviewItem, check: ContentCheck, event_type: str) -> bool:
    """Consequence: a webhook event to the endpoint the org named for decisions, if any (in this transaction)."""
    settings: ReviewSettings = store.settings_of(session, who.org_id)
    if not settings.decision_endpoint:
        return False
    endpoint = outbox.endpoint_by_name(session, who.org_id, settings.decision_endpoint)
    if endpoint is None:
        return False
    payload = {
        "item_id": item.id,
        "check_id": check.id,
        "content_id": check.content_id,
        "decision": item.decision,
        "classification": item.classification,
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
    }
    outbox.add_event(
        session,
        org_id=who.org_id,
        endpoint_id=endpoint.id,
        event_type=event_type,
        ordering_key=check.content_id,
        payload=payload,
    )
    return True


@_guarded
def skip(state: HubState, who: Who, item_id: int, reason: str) -> None:
    """Give an item back to the queue with a reason; it is not handed to this person again."""
    try:
        why = SkipReason(reason)
    except ValueError:
        raise InvalidDecisionError(
            f"unknown skip reason {reason!r}", hint="Reasons: " + ", ".join(r.value for r in SkipReason)
        ) from None
    with state.db.writing() as session:
        item = _item(state, session, who, item_id, "skip")
        _open_and_mine(state, session, who, item, "skip")
        store.add_skip(session, item.id, who.person_id, why.value)
        store.release(session, item.id)
        record(session, who, "review.skip", target=f"review_item:{item.id}", reason=why.value)


@_guarded
def revert(state: HubState, who: Who, item_id: int, note: str = "") -> ReviewItem:
    """A lead reverts a decision: the item is open again (in the lead queue), the feedback is withdrawn and a
    ``review.reverted`` event sent. Anyone else is answered 404 (recorded)."""
    with state.db.writing() as session:
        if not who.at_least(Role.LEAD):
            refuse(state, who, "revert", f"review_item:{item_id}", NotFoundError(f"no review item with id {item_id}"))
        item = _item(state, session, who, item_id, "revert")
        if item.state != ReviewState.DECIDED.value:
            refuse(state, who, "revert", f"review_item:{item.id}", ItemNotDecidedError("the item is still open"))
        check = store.check_of_item(session, item)
        before = {"decision": item.decision, "classification": item.classification, "decided_by": item.decided_by}
        withdrawn = withdraw_feedback(session, who, check)
        sent = send_event(session, who, item, check, "review.reverted")
        undrafted = reports.undraft_item(session, reports.for_person(who), item.id)
        item.state, item.decision, item.classification = ReviewState.OPEN.value, None, None
        item.decided_by, item.decided_at = None, None
        item.queue_id = store.queue_named(session, who.org_id, store.LEAD_QUEUE).id
        record(
            session,
            who,
            "review.reverted",
            target=f"review_item:{item.id}",
            before=before,
            feedback_withdrawn=withdrawn,
            event=sent,
            drafts_changed=undrafted,
            note_chars=len(note),
        )
        return item


@_guarded
def media(state: HubState, who: Who, item_id: int, size: str, *, continued: bool = False) -> proxy.Media:
    """An item's media through the proxy: the host on the org's allow-list, a public address, no redirects.
    A full-size view counts against the person's daily cap; every view is recorded (who saw which file).
    ``continued``: a video player's later range request of the same file (recorded, checked against the cap, not
    counted again)."""
    chosen = MediaSize(size) if size in MediaSize.__members__.values() else MediaSize.THUMB
    with state.db.reading() as session:
        item = _item(state, session, who, item_id, f"media.{chosen.value}")
        check = store.check_of_item(session, item)
        settings = store.settings_of(session, who.org_id)
        hosts, cap = list(settings.media_hosts or []), settings.daily_cap
        url = check.url
        exposure = store.exposure(session, who.person_id, _today())
        kept = quarantine_store.file_of_check(session, who.org_id, check.id)
    target = f"review_item:{item_id}"
    if not url and kept is None:
        raise NotFoundError("this content has no media URL and no quarantined file")
    if chosen is MediaSize.FULL and exposure >= cap:
        refuse(state, who, "media.full", target, ExposureCapError(f"you viewed {exposure} files today (cap {cap})"))
    try:
        if kept is not None:
            fetched = proxy.Media(quarantine.read(state.settings, kept), kept.media_type)
        else:
            assert url is not None
            fetched = proxy.fetch(url, hosts, state.settings)
        shown = proxy.thumbnail(fetched, state.settings.max_image_pixels) if chosen is MediaSize.THUMB else fetched
    except SharedhashError as exc:
        refuse(state, who, f"media.{chosen.value}", target, exc)
    with state.db.writing() as session:
        store.record_view(
            session, org_id=who.org_id, check_id=check.id, item_id=item_id, person_id=who.person_id, size=chosen.value
        )
        counted = chosen is MediaSize.FULL and not continued
        count = store.add_exposure(session, who.person_id, _today()) if counted else exposure
        record(
            session,
            who,
            f"review.media.{chosen.value}",
            target=target,
            check_id=check.id,
            exposure_today=count,
            source="quarantine" if kept is not None else "proxy",
            continued=continued,
        )
    return shown


@_guarded
def frame(state: HubState, who: Who, item_id: int, index: int) -> proxy.Media:
    """One matched frame of a quarantined video (``index`` into the item's matched seconds), as a PNG. Counts as a
    full-size view (against the daily cap) and is recorded like every view."""
    target = f"review_item:{item_id}"
    with state.db.reading() as session:
        item = _item(state, session, who, item_id, "media.frame")
        check = store.check_of_item(session, item)
        cap = store.settings_of(session, who.org_id).daily_cap
        exposure = store.exposure(session, who.person_id, _today())
        kept = quarantine_store.file_of_check(session, who.org_id, check.id)
        seconds = video_frames.matched_seconds(m.details for m in store.matches_of_check(session, who.org_id, check.id))
    if kept is None or not kept.media_type.startswith("video/"):
        raise NotFoundError("this content has no quarantined video")
    if not 0 <= index < len(seconds):
        raise NotFoundError(f"no matched frame {index} (the item has {len(seconds)})")
    if exposure >= cap:
        refuse(state, who, "media.frame", target, ExposureCapError(f"you viewed {exposure} files today (cap {cap})"))
    try:
        png = video_frames.frame_png(
            quarantine.read(state.settings, kept), seconds[index], state.settings.max_image_pixels
        )
    except SharedhashError as exc:
        refuse(state, who, "media.frame", target, exc)
    with state.db.writing() as session:
        store.record_view(
            session, org_id=who.org_id, check_id=check.id, item_id=item_id, person_id=who.person_id, size="frame"
        )
        count = store.add_exposure(session, who.person_id, _today())
        record(
            session,
            who,
            "review.media.frame",
            target=target,
            check_id=check.id,
            second=seconds[index],
            exposure_today=count,
            source="quarantine",
        )
    return proxy.Media(png, "image/png")


@_guarded
def update_settings(
    state: HubState,
    who: Who,
    *,
    media_hosts: list[str] | None = None,
    daily_cap: int | None = None,
    break_every: int | None = None,
    decision_endpoint: str | None = None,
    quarantine_on: bool | None = None,
    contribute_list_id: int | None | Unset = UNSET,
) -> ReviewSettings:
    """An admin changes the org's review settings (media allow-list, exposure cap, breaks, decision webhook,
    quarantine, the list confirmed content is contributed to: ``None`` turns contribution off)."""
    if not who.at_least(Role.ADMIN):
        refuse(state, who, "settings", "review_settings", NotFoundError("no such page"))
    with state.db.writing() as session:
        row = store.settings_for_update(session, who.org_id)
        if media_hosts is not None:
            hosts = [h.strip().lower() for h in media_hosts if h.strip()]
            if len(hosts) > limits.MAX_MEDIA_HOSTS or any(len(h) > 300 or "/" in h for h in hosts):
                raise InvalidDecisionError(
                    f"at most {limits.MAX_MEDIA_HOSTS} media hosts, each a host name or host:port",
                    hint="Give host names such as media.example.com, one per line.",
                )
            row.media_hosts = hosts
        if daily_cap is not None:
            row.daily_cap = max(0, daily_cap)
        if break_every is not None:
            row.break_every = max(0, break_every)
        if decision_endpoint is not None:
            row.decision_endpoint = decision_endpoint.strip() or None
        if quarantine_on is not None:
            row.quarantine = quarantine_on
        if not isinstance(contribute_list_id, Unset):
            if contribute_list_id is not None:
                contribution.check_list(session, who, contribute_list_id)
            row.contribute_list_id = contribute_list_id
        row.updated_at = utcnow()
        record(
            session,
            who,
            "review.settings",
            target="review_settings",
            media_hosts=len(row.media_hosts),
            daily_cap=row.daily_cap,
            break_every=row.break_every,
            quarantine=row.quarantine,
            contribute_list_id=row.contribute_list_id,
        )
        return row


def settings(state: HubState, who: Who) -> ReviewSettings:
    """The org's review settings."""
    with state.db.reading() as session:
        return store.settings_of(session, who.org_id)


def viewed(state: HubState, org_id: int, check_ids: list[int]) -> set[int]:
    """Which of these checks a person of the org viewed (for reports of hash-matched files nobody viewed)."""
    with state.db.reading() as session:
        return store.viewed_checks(session, org_id, check_ids)

"""``/v1/review``: the review queue as JSON, for signed-in people (session cookie; writes need the session's
``X-CSRF-Token``). Machines keep using API keys on the other routes; these are not in the API schema."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from sharedhash.server.accounts.deps import SignedIn, Writer
from sharedhash.server.deps import IdPath, Reader, State
from sharedhash.server.review import quarantine, service
from sharedhash.server.review.schemas import (
    DecisionIn,
    ItemOut,
    MatchOut,
    NextOut,
    QueueOut,
    QueueRowOut,
    RevertIn,
    ReviewSettingsIn,
    ReviewSettingsOut,
    SkipIn,
)

router = APIRouter(prefix="/v1/review", tags=["review"], include_in_schema=False)
#: The platform's side of the quarantine store (API keys).
quarantine_router = APIRouter(prefix="/v1/checks", tags=["content checks"])


class QuarantinedOut(BaseModel):
    """A file kept in the quarantine store: its check, size and type, and when it is deleted unless decided."""

    check_id: int
    size: int
    media_type: str
    expires_at: str


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit():
        quarantine.check_size_of(limit, int(declared))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        quarantine.check_size_of(limit, size)
        chunks.append(chunk)
    return b"".join(chunks)


@quarantine_router.put(
    "/{check_id}/media",
    response_model=QuarantinedOut,
    summary="Quarantine a check's media for review (encrypted at rest)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"image/*": {"schema": {"type": "string", "format": "binary"}}, "video/*": {}},
        }
    },
)
async def put_media(check_id: IdPath, request: Request, state: State, caller: Reader) -> QuarantinedOut:
    """Keep the media of one of the org's checks, encrypted, for its reviewers (the org must have turned
    quarantine on: 409 ``quarantine_off``). The body is the file, with its ``Content-Type`` (an image or a video);
    over ``SHAREDHASH_QUARANTINE_MAX_BYTES``: 413. Sending it again replaces the kept file until the decision."""
    data = await _body(request, state.settings.quarantine_max_bytes)
    stored = await run_in_threadpool(
        quarantine.put, state, caller, check_id, data, request.headers.get("content-type", "")
    )
    return QuarantinedOut(
        check_id=stored.check_id,
        size=stored.size,
        media_type=stored.media_type,
        expires_at=stored.expires_at.isoformat(),
    )


def item_out(view: service.ItemView) -> ItemOut:
    """The JSON of an item view (shared with the pages' tests)."""
    check = view.check
    return ItemOut(
        id=view.item.id,
        queue=view.queue,
        state=view.item.state,
        priority=view.item.priority,
        decision=view.item.decision,
        classification=view.item.classification,
        mine=view.mine,
        content={
            "content_id": check.content_id,
            "content_type": check.content_type,
            "uploader_id": check.uploader_id,
            "uploaded_at": check.uploaded_at.isoformat() if check.uploaded_at else None,
            "labels": list(check.labels or []),
            "has_media": view.has_media,
        },
        matches=[
            MatchOut(
                list_id=m.list_id,
                list_name=m.list_name,
                owner_org=m.owner_org,
                entry_id=m.entry_id,
                classification=m.classification,
                labels=m.labels,
                hash_type=m.hash_type,
                distance=m.distance,
                rule=m.rule,
                retroactive=m.retroactive,
                confirmed_by=m.confirmed_by,
                disputed_by=m.disputed_by,
            )
            for m in view.matches
        ],
        uploader_matches=[
            {"check_id": u.check_id, "content_id": u.content_id, "matches": u.matches, "item_id": u.item_id}
            for u in view.uploader_matches
        ],
        viewed=view.viewed,
    )


@router.get("/queue", response_model=QueueOut)
def queue(state: State, who: SignedIn) -> QueueOut:
    """The open items of the queues the person works."""
    found = service.overview(state, who)
    return QueueOut(
        queues=found.queues,
        items=[
            QueueRowOut(
                item_id=r.item_id,
                queue=r.queue,
                priority=r.priority,
                content_type=r.content_type,
                created_at=r.created_at,
                claimed=r.claimed_by is not None,
            )
            for r in found.rows
        ],
        exposure_today=found.exposure_today,
        daily_cap=found.daily_cap,
    )


@router.post("/next", response_model=NextOut)
def take_next(state: State, who: Writer) -> NextOut:
    """Claim the next item."""
    return NextOut(item_id=service.take_next(state, who))


@router.get("/items/{item_id}", response_model=ItemOut)
def get_item(item_id: IdPath, state: State, who: SignedIn) -> ItemOut:
    """An item (opening an open item claims it)."""
    return item_out(service.view_item(state, who, item_id))


@router.post("/items/{item_id}/decision", response_model=ItemOut)
def decide(item_id: IdPath, body: DecisionIn, state: State, who: Writer) -> ItemOut:
    """Decide an item: confirmed (with a classification), false_positive, escalated."""
    service.decide(state, who, item_id, body.decision, body.classification, body.note)
    return item_out(service.view_item(state, who, item_id))


@router.post("/items/{item_id}/skip", response_model=NextOut)
def skip(item_id: IdPath, body: SkipIn, state: State, who: Writer) -> NextOut:
    """Skip an item with a reason; the answer is the next item claimed."""
    service.skip(state, who, item_id, body.reason)
    return NextOut(item_id=service.take_next(state, who))


@router.post("/items/{item_id}/revert", response_model=ItemOut)
def revert(item_id: IdPath, body: RevertIn, state: State, who: Writer) -> ItemOut:
    """A lead reverts a decision."""
    service.revert(state, who, item_id, body.note)
    return item_out(service.view_item(state, who, item_id))


def _settings_out(row: Any) -> ReviewSettingsOut:
    return ReviewSettingsOut(
        media_hosts=list(row.media_hosts or []),
        daily_cap=row.daily_cap,
        break_every=row.break_every,
        decision_endpoint=row.decision_endpoint,
        quarantine=bool(row.quarantine),
        contribute_list_id=row.contribute_list_id,
    )


@router.get("/settings", response_model=ReviewSettingsOut)
def get_settings(state: State, who: SignedIn) -> ReviewSettingsOut:
    """The org's review settings."""
    return _settings_out(service.settings(state, who))


@router.patch("/settings", response_model=ReviewSettingsOut)
def change_settings(body: ReviewSettingsIn, state: State, who: Writer) -> ReviewSettingsOut:
    """An admin changes the org's review settings (others: 404)."""
    given = body.model_fields_set
    row = service.update_settings(
        state,
        who,
        media_hosts=body.media_hosts,
        daily_cap=body.daily_cap,
        break_every=body.break_every,
        decision_endpoint=body.decision_endpoint,
        quarantine_on=body.quarantine,
        contribute_list_id=body.contribute_list_id if "contribute_list_id" in given else service.UNSET,
    )
    return _settings_out(row)

"""Request and response bodies of content checks (``/v1/content``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from sharedhash import limits
from sharedhash.server.act.service import ContentMeta
from sharedhash.server.lookup.schemas import LookupHashIn
from sharedhash.server.schemas import AwareTime, FeedbackCounts, Strict

ContentType = Literal["image", "video", "other"]
Label = Annotated[str, Field(min_length=1, max_length=limits.MAX_LABEL_CHARS)]


class ContentMetaIn(Strict):
    """What the platform says about its content (stored with the check, sent in webhook events, never the media)."""

    content_id: str = Field(min_length=1, max_length=500, description="The platform's own opaque id of the content.")
    content_type: ContentType = "other"
    uploader_id: str | None = Field(default=None, min_length=1, max_length=500)
    uploaded_at: AwareTime | None = None
    url: str | None = Field(default=None, min_length=1, max_length=2000)
    labels: list[Label] = Field(default_factory=list, max_length=limits.MAX_LABELS)


def content_meta(body: ContentMetaIn) -> ContentMeta:
    """The service's record of what the platform said (the route's and the fast path's one conversion)."""
    return ContentMeta(
        content_id=body.content_id,
        content_type=body.content_type,
        uploader_id=body.uploader_id,
        uploaded_at=body.uploaded_at,
        url=body.url,
        labels=tuple(body.labels),
    )


class ContentHashesIn(ContentMetaIn):
    """A hash-only check: the hashes the platform computed of one piece of content."""

    hashes: list[LookupHashIn] = Field(min_length=1, max_length=limits.MAX_HASHES_PER_ENTRY)


class ContentBatchIn(Strict):
    """Hash-only checks of many pieces of content: at most 10,000 hashes in all (over: 413)."""

    items: list[ContentHashesIn] = Field(min_length=1)


class ContentMatchOut(BaseModel):
    """One match of the checked content: the list and entry it hit, how far, and what the rules decided."""

    match_id: int
    query: int
    hash_type: str
    distance: int
    list_id: int
    list_name: str
    entry_id: int
    classification: str | None
    labels: list[str]
    feedback: FeedbackCounts
    rule: str | None
    actions: list[str]
    suppressed: bool
    retroactive: bool
    created_at: datetime
    details: dict[str, object] = Field(
        default_factory=dict, description="Video match fields (matched_hash_type, percentages, seconds)."
    )


class ContentCheckOut(BaseModel):
    """A recorded check: whether it matched, the actions decided (e.g. ``["block", "review"]``) and the matches.
    ``replayed`` is true when the same content id and hashes were checked before: the first check answers."""

    check_id: int
    content_id: str
    content_type: str
    matched: bool
    actions: list[str]
    matches: list[ContentMatchOut]
    replayed: bool
    checked_at: datetime
    hash_types: list[str]


class ContentBatchOut(BaseModel):
    """The checks of a batch, in the order of its items."""

    checks: list[ContentCheckOut]

"""Request and response bodies of the review JSON API (for the signed-in people of the review pages)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from sharedhash import limits
from sharedhash.server.schemas import Strict


class DecisionIn(Strict):
    """A decision on an item."""

    decision: str = Field(max_length=32)
    classification: str | None = Field(default=None, max_length=4)
    note: str = Field(default="", max_length=limits.MAX_NOTE_CHARS)


class SkipIn(Strict):
    """Why the person skips an item."""

    reason: str = Field(max_length=limits.MAX_SKIP_REASON_CHARS)


class RevertIn(Strict):
    """A lead's note on reverting a decision."""

    note: str = Field(default="", max_length=limits.MAX_NOTE_CHARS)


class QueueRowOut(BaseModel):
    """An open item as the queue lists it."""

    item_id: int
    queue: str
    priority: int
    content_type: str
    created_at: datetime
    claimed: bool


class QueueOut(BaseModel):
    """The queues the person works and their open items, in hand-out order."""

    queues: list[str]
    items: list[QueueRowOut]
    exposure_today: int
    daily_cap: int


class NextOut(BaseModel):
    """The item claimed for the person (None: nothing to review)."""

    item_id: int | None


class MatchOut(BaseModel):
    """Why the content matched one entry."""

    list_id: int
    list_name: str
    owner_org: str
    entry_id: int
    classification: str | None
    labels: list[str]
    hash_type: str
    distance: int
    rule: str | None
    retroactive: bool
    confirmed_by: list[str]
    disputed_by: list[str]


class ItemOut(BaseModel):
    """A review item: its state, the content's metadata, why it matched, the uploader's other matches."""

    id: int
    queue: str
    state: str
    priority: int
    decision: str | None
    classification: str | None
    mine: bool
    content: dict[str, Any]
    matches: list[MatchOut]
    uploader_matches: list[dict[str, Any]]
    viewed: bool


class ReviewSettingsIn(Strict):
    """Changes to the org's review settings (an admin's): only the fields given change; ``contribute_list_id``
    null turns automatic contribution off."""

    media_hosts: list[str] | None = Field(default=None, max_length=limits.MAX_MEDIA_HOSTS)
    daily_cap: int | None = Field(default=None, ge=0, le=100_000)
    break_every: int | None = Field(default=None, ge=0, le=100_000)
    decision_endpoint: str | None = Field(default=None, max_length=100)
    quarantine: bool | None = None
    contribute_list_id: int | None = Field(default=None, ge=1, le=2**63 - 1)


class ReviewSettingsOut(BaseModel):
    """The org's review settings."""

    media_hosts: list[str]
    daily_cap: int
    break_every: int
    decision_endpoint: str | None
    quarantine: bool
    contribute_list_id: int | None

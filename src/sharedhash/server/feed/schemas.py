"""Request and response bodies of the feed endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class ChangeOut(BaseModel):
    """One feed change: ``entry`` is the full entry after the change (absent for a tombstone). An ``update`` made
    because the entry's feedback changed carries ``entry.feedback`` (``{"confirm": n, "dispute": m}``)."""

    seq: int
    kind: Literal["add", "update", "tombstone"]
    entry_id: int
    entry: dict[str, Any] | None
    time: datetime


class OwnVerdictOut(BaseModel):
    """The caller's org's verdict on an entry."""

    verdict: str
    reason: str
    note: str


class FeedPageOut(BaseModel):
    """A page of a list's feed."""

    list_id: int
    changes: list[ChangeOut]
    next_cursor: str
    has_more: bool
    last_seq: int
    your_feedback: dict[str, OwnVerdictOut] = Field(
        default_factory=dict,
        description="The caller's org's own verdicts on this page's entries, as they are now, by entry id: a node "
        "mirroring the list follows them (a dispute given on the hub hides the entry on the org's node too).",
    )

"""Request and response bodies of the feed endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel


class ChangeOut(BaseModel):
    """One feed change: ``entry`` is the full entry after the change (absent for a tombstone)."""

    seq: int
    kind: Literal["add", "update", "tombstone"]
    entry_id: int
    entry: dict[str, Any] | None
    time: datetime


class FeedPageOut(BaseModel):
    """A page of a list's feed."""

    list_id: int
    changes: list[ChangeOut]
    next_cursor: str
    has_more: bool
    last_seq: int

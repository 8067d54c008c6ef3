"""Request and response bodies of the feedback endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from sharedhash import limits
from sharedhash.server.schemas import Lax, Strict
from sharedhash.store.feedback import Reason
from sharedhash.store.models import Verdict


class FeedbackIn(Strict):
    """An org's verdict on an entry."""

    verdict: Annotated[Verdict, Lax]
    reason: Annotated[Reason, Lax]
    note: str = Field(default="", max_length=limits.MAX_NOTE_CHARS)


class FeedbackOut(BaseModel):
    """The caller's org's recorded verdict."""

    entry_id: int
    verdict: str
    reason: str
    note: str
    updated_at: datetime

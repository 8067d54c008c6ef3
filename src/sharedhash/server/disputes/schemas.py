"""Request and response bodies of the dispute endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from sharedhash import limits
from sharedhash.server.schemas import Strict
from sharedhash.store.disputes import EntryDisputes, InboxItem
from sharedhash.store.models import DisputePolicy, DisputeResolution


class VerdictOut(BaseModel):
    """One org's verdict on an entry, as its list's owner reads it (the org, never the key)."""

    org: str
    verdict: str
    reason: str
    note: str
    created_at: datetime
    updated_at: datetime


class ResolutionOut(BaseModel):
    """The owner's answer to an entry's disputes: ``keep`` with a reply, or ``remove`` with a reason (on the
    tombstone); ``quarantined`` is the reason of a removal by the list's dispute policy."""

    entry_id: int
    action: str
    reason: str
    reply: str
    restored_as: int | None = Field(description="A quarantined entry kept comes back as this new entry.")
    created_at: datetime

    @classmethod
    def of(cls, row: DisputeResolution) -> ResolutionOut:
        """From the model."""
        return cls(
            entry_id=row.entry_id,
            action=row.action,
            reason=row.reason,
            reply=row.reply,
            restored_as=row.restored_as,
            created_at=row.created_at,
        )


class EntryDisputesOut(BaseModel):
    """Every verdict on an entry of the caller's list, how many disputes are open, and its resolutions."""

    entry_id: int
    list_id: int
    list_name: str
    removed: bool
    open_disputes: int
    verdicts: list[VerdictOut]
    resolutions: list[ResolutionOut]

    @classmethod
    def of(cls, found: EntryDisputes) -> EntryDisputesOut:
        """From the store's view."""
        return cls(
            entry_id=found.entry.id,
            list_id=found.entry.list_id,
            list_name=found.list_name,
            removed=found.entry.deleted_at is not None,
            open_disputes=found.open_disputes,
            verdicts=[VerdictOut.model_validate(v, from_attributes=True) for v in found.verdicts],
            resolutions=[ResolutionOut.of(r) for r in found.resolutions],
        )


class InboxItemOut(BaseModel):
    """An entry of the caller's lists with disputes given since its last resolution."""

    entry_id: int
    list_id: int
    list_name: str
    open_disputes: int
    confirms: int
    last_dispute_at: datetime
    quarantined: bool

    @classmethod
    def of(cls, item: InboxItem) -> InboxItemOut:
        """From the store's view."""
        return cls.model_validate(item, from_attributes=True)


class ResolutionIn(Strict):
    """Keep an entry (``reply`` to the disputing orgs) or remove it (``reason``: a feedback reason code)."""

    action: Literal["keep", "remove"]
    reply: str = Field(default="", max_length=limits.MAX_NOTE_CHARS)
    reason: str = Field(default="", max_length=32)


class PolicyIn(Strict):
    """Quarantine an entry once this many distinct orgs dispute it; null: never automatically."""

    quarantine_after: int | None = Field(ge=1, le=limits.MAX_QUARANTINE_AFTER)


class PolicyOut(BaseModel):
    """A list's dispute policy."""

    list_id: int
    quarantine_after: int | None

    @classmethod
    def of(cls, list_id: int, row: DisputePolicy | None) -> PolicyOut:
        """From the model (None: no policy)."""
        return cls(list_id=list_id, quarantine_after=row.quarantine_after if row else None)

"""Request and response bodies of the entries endpoints."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from sharedhash import limits
from sharedhash.server.schemas import ClassificationName, FeedbackCounts, HashIn, HashOut, Strict
from sharedhash.store.snapshots import EntryView


class EntryCreate(Strict):
    """A new entry: 1 to 32 hashes of one file, a classification, labels and an optional external id."""

    hashes: list[HashIn] = Field(min_length=1, max_length=limits.MAX_HASHES_PER_ENTRY)
    classification: ClassificationName | None = None
    labels: list[str] = Field(default_factory=list, max_length=limits.MAX_LABELS)
    external_id: str | None = Field(default=None, max_length=limits.MAX_EXTERNAL_ID_CHARS)


class EntryUpdate(Strict):
    """Changes to an entry; omitted fields stay as they are. ``add_hashes`` adds more hashes of the same file."""

    classification: ClassificationName | None = None
    clear_classification: bool = False
    labels: list[str] | None = Field(default=None, max_length=limits.MAX_LABELS)
    external_id: str | None = Field(default=None, max_length=limits.MAX_EXTERNAL_ID_CHARS)
    add_hashes: list[HashIn] = Field(default_factory=list, max_length=limits.MAX_HASHES_PER_ENTRY)


class EntryOut(BaseModel):
    """An entry."""

    id: int
    list_id: int
    hashes: list[HashOut]
    classification: str | None
    labels: list[str]
    external_id: str | None
    contributor: str
    created_at: datetime
    updated_at: datetime
    feedback: FeedbackCounts | None = None

    @classmethod
    def of(cls, view: EntryView) -> EntryOut:
        """From a store view."""
        snap = view.snapshot()
        return cls(**snap, feedback=FeedbackCounts(**view.feedback) if view.feedback else None)


class EntryAdded(EntryOut):
    """The entry added, or the existing one that already held one of the hashes (``created`` false)."""

    created: bool


class EntryPage(BaseModel):
    """A page of a list's entries; pass ``next_after`` as ``after`` for the next page."""

    entries: list[EntryOut]
    next_after: int | None

"""Request and response bodies of the lookup endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from sharedhash.limits import PDQ_THRESHOLD_MAX
from sharedhash.server.schemas import ANY_HASH_VALUE_MAX, FeedbackCounts, HashTypeName, Strict


class LookupHashIn(Strict):
    """One hash to look up."""

    hash_type: str = HashTypeName
    value: str = Field(min_length=1, max_length=ANY_HASH_VALUE_MAX)


class LookupIn(Strict):
    """Up to 10,000 hashes of any types; ``max_distance`` narrows (never widens) each list's PDQ threshold."""

    hashes: list[LookupHashIn] = Field(min_length=1)
    max_distance: int | None = Field(default=None, ge=0, le=PDQ_THRESHOLD_MAX)


class MatchOut(BaseModel):
    """A lookup hit: which query hash (its position), which entry, how far, in which list."""

    query: int
    hash_type: str
    distance: int
    entry_id: int
    list_id: int
    list_name: str
    classification: str | None
    labels: list[str]
    external_id: str | None
    contributor: str
    feedback: FeedbackCounts


class LookupOut(BaseModel):
    """Every match of the request's hashes among the lists the caller may read."""

    queried: int
    matches: list[MatchOut]


class FileLookupOut(LookupOut):
    """A file lookup: the file's hashes are computed in memory and discarded; only their types are returned."""

    hash_types: list[str]
    pdq_quality: int | None

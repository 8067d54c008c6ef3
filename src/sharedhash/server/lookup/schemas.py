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


class SecondsOut(BaseModel):
    """Consecutive matching frames of one side of a video match: first and last second, and how many frames."""

    start: float
    end: float
    frames: int


class MatchOut(BaseModel):
    """A lookup hit: which query hash (its position), which entry, how far, in which list.

    Video matches add: ``matched_hash_type`` when the listed hash is of another type than the query (a video frame
    matched a listed image, or an image a frame of a listed video); for a video against a listed video (distance
    ``100 - floor(listed_percent)``), ``query_percent`` and ``listed_percent`` (the shares of each side's frames
    of quality >= 50 that match: a match when ``listed_percent`` >= 80); and the seconds that matched on each side
    (``query_seconds`` in the query video, ``listed_seconds`` in the listed video).

    Region matches (file lookups, hash type ``pdqr``) add ``evidence``: which regions of the listed image matched
    which part of the file, at what distance, e.g. "region 3 of 6 (top-right 75%) at distance 12, border trimmed".
    """

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
    source_entry_id: int | None = Field(
        default=None, description="On a mirrored list (a node): the entry's id on its source hub, for feedback there."
    )
    dihedral_variant: str | None = Field(
        default=None,
        description="A file lookup with dihedral: which variant of the file matched (original, rot90, rot180, "
        "rot270, flip_x, flip_y, flip_plus1, flip_minus1).",
    )
    matched_hash_type: str | None = None
    query_percent: float | None = None
    listed_percent: float | None = None
    query_seconds: list[SecondsOut] | None = None
    listed_seconds: list[SecondsOut] | None = None
    evidence: str | None = None


class LookupOut(BaseModel):
    """Every match of the request's hashes among the lists the caller may read."""

    queried: int
    matches: list[MatchOut]


class FileHashOut(BaseModel):
    """One hash of the uploaded file (``quality`` for a quality-scored type)."""

    hash_type: str
    value: str
    quality: int | None = None


class FileLookupOut(LookupOut):
    """A file lookup: the file's hashes are computed in memory, answered to the uploader (``hashes``), and
    discarded (never logged or kept)."""

    hash_types: list[str]
    pdq_quality: int | None
    hashes: list[FileHashOut] = Field(default_factory=list, description="The uploaded file's own hashes.")

"""Request and response bodies of the lists endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from sharedhash import limits
from sharedhash.server.schemas import Lax, Strict
from sharedhash.store.models import Access, HashList, Visibility


class ShareIn(Strict):
    """Share a list with the org called ``org``."""

    org: str = Field(min_length=1, max_length=limits.MAX_ORG_NAME_CHARS)
    access: Annotated[Access, Lax] = Access.READ


class ListCreate(Strict):
    """A new hash list owned by the caller's org."""

    name: str = Field(min_length=1, max_length=limits.MAX_LIST_NAME_CHARS)
    description: str = Field(default="", max_length=limits.MAX_LIST_DESCRIPTION_CHARS)
    visibility: Annotated[Visibility, Lax] = Visibility.PRIVATE
    pdq_threshold: int = Field(default=limits.PDQ_THRESHOLD_DEFAULT, ge=0, le=limits.PDQ_THRESHOLD_MAX)
    video_listed_percent: int = Field(default=limits.VIDEO_LISTED_PERCENT_DEFAULT, ge=0, le=100)
    video_query_percent: int = Field(default=limits.VIDEO_QUERY_PERCENT_DEFAULT, ge=0, le=100)
    shares: list[ShareIn] = Field(default_factory=list, max_length=limits.MAX_SHARES)


class ListUpdate(Strict):
    """Changes to a list's settings; omitted fields stay as they are. ``shares`` replaces all shares."""

    name: str | None = Field(default=None, min_length=1, max_length=limits.MAX_LIST_NAME_CHARS)
    description: str | None = Field(default=None, max_length=limits.MAX_LIST_DESCRIPTION_CHARS)
    visibility: Annotated[Visibility, Lax] | None = None
    pdq_threshold: int | None = Field(default=None, ge=0, le=limits.PDQ_THRESHOLD_MAX)
    video_listed_percent: int | None = Field(default=None, ge=0, le=100)
    video_query_percent: int | None = Field(default=None, ge=0, le=100)
    shares: list[ShareIn] | None = Field(default=None, max_length=limits.MAX_SHARES)


class ListOut(BaseModel):
    """A hash list as its readers see it (shares only for the owner)."""

    id: int
    name: str
    description: str
    owner: str
    visibility: str
    pdq_threshold: int
    video_listed_percent: int = limits.VIDEO_LISTED_PERCENT_DEFAULT
    video_query_percent: int = limits.VIDEO_QUERY_PERCENT_DEFAULT
    last_seq: int
    mirror_of: str | None
    shares: list[ShareIn] | None = None
    created_at: datetime
    deleted_at: datetime | None = None

    @classmethod
    def of(cls, hash_list: HashList, owner: str, shares: list[tuple[str, str]] | None = None) -> ListOut:
        """From the model; ``shares`` is given only when the reader owns the list."""
        return cls(
            id=hash_list.id,
            name=hash_list.name,
            description=hash_list.description,
            owner=owner,
            visibility=hash_list.visibility,
            pdq_threshold=hash_list.pdq_threshold,
            video_listed_percent=hash_list.video_listed_percent,
            video_query_percent=hash_list.video_query_percent,
            last_seq=hash_list.last_seq,
            mirror_of=hash_list.source_url,
            shares=None if shares is None else [ShareIn(org=o, access=Access(a)) for o, a in shares],
            created_at=hash_list.created_at,
            deleted_at=hash_list.deleted_at,
        )

"""Request and response bodies of the API (pydantic): every limit is declared here, so it shows in the schema."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sharedhash.store.entries import EntryView
from sharedhash.store.feedback import Reason
from sharedhash.store.lists import PDQ_THRESHOLD_MAX
from sharedhash.store.models import Access, ApiKey, AuditEvent, HashList, Org, Scope, Verdict, Visibility

ClassificationName = Literal["A1", "A2", "B1", "B2"]
#: The longest hash value any request may carry.
HASH_VALUE_MAX = 512
HashTypeName = Field(min_length=1, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")


def _no_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        # PostgreSQL cannot store NUL in text, and no legitimate name, label or hash contains one.
        raise ValueError("text must not contain NUL characters")
    if isinstance(value, list):
        for item in value:
            _no_nul(item)
    return value


class Strict(BaseModel):
    """Unknown fields are refused: a typo must not silently do nothing. Text with NUL characters is refused."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _text_without_nul(cls, value: Any) -> Any:
        return _no_nul(value)


class HashIn(Strict):
    """One hash: its type, value and, for PDQ, optionally the quality reported by the hasher."""

    hash_type: str = HashTypeName
    value: str = Field(min_length=1, max_length=HASH_VALUE_MAX)
    quality: int | None = Field(default=None, ge=0, le=100)


class HashOut(BaseModel):
    """One hash of an entry."""

    hash_type: str
    value: str
    quality: int | None = None


class OrgOut(BaseModel):
    """An org."""

    id: int
    name: str
    created_at: datetime

    @classmethod
    def of(cls, org: Org) -> OrgOut:
        """From the model."""
        return cls(id=org.id, name=org.name, created_at=org.created_at)


class OrgCreate(Strict):
    """A new org (hub operator only)."""

    name: str = Field(min_length=1, max_length=100)


class KeyCreate(Strict):
    """A new API key for the caller's org."""

    name: str = Field(default="", max_length=100)
    scopes: list[Scope] = Field(min_length=1, max_length=3)
    expires_at: datetime | None = None


class KeyOut(BaseModel):
    """An API key's public facts (never the secret)."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, key: ApiKey) -> KeyOut:
        """From the model."""
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            scopes=key.scopes.split(","),
            created_at=key.created_at,
            expires_at=key.expires_at,
            revoked_at=key.revoked_at,
            last_used_at=key.last_used_at,
        )


class IssuedKeyOut(KeyOut):
    """A key just created: ``key`` is shown this once and never again."""

    key: str


class ShareIn(Strict):
    """Share a list with the org called ``org``."""

    org: str = Field(min_length=1, max_length=100)
    access: Access = Access.READ


class ListCreate(Strict):
    """A new hash list owned by the caller's org."""

    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=5000)
    visibility: Visibility = Visibility.PRIVATE
    pdq_threshold: int = Field(default=31, ge=0, le=PDQ_THRESHOLD_MAX)
    shares: list[ShareIn] = Field(default_factory=list, max_length=1000)


class ListUpdate(Strict):
    """Changes to a list's settings; omitted fields stay as they are. ``shares`` replaces all shares."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    visibility: Visibility | None = None
    pdq_threshold: int | None = Field(default=None, ge=0, le=PDQ_THRESHOLD_MAX)
    shares: list[ShareIn] | None = Field(default=None, max_length=1000)


class ListOut(BaseModel):
    """A hash list as its readers see it (shares only for the owner)."""

    id: int
    name: str
    description: str
    owner: str
    visibility: str
    pdq_threshold: int
    last_seq: int
    mirror_of: str | None
    shares: list[ShareIn] | None = None
    created_at: datetime

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
            last_seq=hash_list.last_seq,
            mirror_of=hash_list.source_url,
            shares=None if shares is None else [ShareIn(org=o, access=Access(a)) for o, a in shares],
            created_at=hash_list.created_at,
        )


class EntryCreate(Strict):
    """A new entry: 1 to 32 hashes of one file, a classification, labels and an optional external id."""

    hashes: list[HashIn] = Field(min_length=1, max_length=32)
    classification: ClassificationName | None = None
    labels: list[str] = Field(default_factory=list, max_length=50)
    external_id: str | None = Field(default=None, max_length=200)


class EntryUpdate(Strict):
    """Changes to an entry; omitted fields stay as they are. ``add_hashes`` adds more hashes of the same file."""

    classification: ClassificationName | None = None
    clear_classification: bool = False
    labels: list[str] | None = Field(default=None, max_length=50)
    external_id: str | None = Field(default=None, max_length=200)
    add_hashes: list[HashIn] = Field(default_factory=list, max_length=32)


class FeedbackCounts(BaseModel):
    """How many orgs confirm and dispute an entry."""

    confirm: int = 0
    dispute: int = 0


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


class FeedbackIn(Strict):
    """An org's verdict on an entry."""

    verdict: Verdict
    reason: Reason
    note: str = Field(default="", max_length=2000)


class FeedbackOut(BaseModel):
    """The caller's org's recorded verdict."""

    entry_id: int
    verdict: str
    reason: str
    note: str
    updated_at: datetime


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


class LookupHashIn(Strict):
    """One hash to look up."""

    hash_type: str = HashTypeName
    value: str = Field(min_length=1, max_length=HASH_VALUE_MAX)


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


class ImportLineError(BaseModel):
    """One bad line of an import."""

    line: int
    code: str
    message: str


class ImportOut(BaseModel):
    """The outcome of a bulk import: all of it was written, or (with errors) none of it."""

    committed: bool
    lines: int
    created: int
    existing: int
    errors: list[ImportLineError]
    errors_truncated: bool


class AuditEventOut(BaseModel):
    """One audit event."""

    id: int
    action: str
    target: str
    count: int
    key_id: int | None
    detail: dict[str, Any]
    time: datetime

    @classmethod
    def of(cls, event: AuditEvent) -> AuditEventOut:
        """From the model."""
        return cls(
            id=event.id,
            action=event.action,
            target=event.target,
            count=event.count,
            key_id=event.key_id,
            detail=event.detail,
            time=event.created_at,
        )


class ErrorBody(BaseModel):
    """The standard error: a stable ``code``, a message and a fix hint."""

    code: str
    message: str
    hint: str


class ErrorOut(BaseModel):
    """Every error response."""

    error: ErrorBody

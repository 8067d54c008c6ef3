"""What the hub answers, as typed objects (pydantic), independent of the server's own code."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    # Newer hubs may add fields; an older client must keep working.
    model_config = ConfigDict(extra="ignore")


class Org(_Model):
    """An org."""

    id: int
    name: str
    created_at: datetime


class OrgSuspension(_Model):
    """An org's suspension (while ``reinstated_at`` is null its keys do not work)."""

    org_id: int
    org: str
    reason: str
    suspended_at: datetime
    reinstated_at: datetime | None


class ApiKey(_Model):
    """An API key's public facts."""

    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None


class IssuedKey(ApiKey):
    """A new key with its secret (shown once)."""

    key: str


class CreatedOrg(Org):
    """A new org with its first admin key."""

    admin_key: IssuedKey


class Share(_Model):
    """A share of a list with an org."""

    org: str
    access: str


class HashList(_Model):
    """A hash list."""

    id: int
    name: str
    description: str
    owner: str
    visibility: str
    pdq_threshold: int
    video_listed_percent: int = 80
    video_query_percent: int = 0
    last_seq: int
    mirror_of: str | None = None
    shares: list[Share] | None = None
    created_at: datetime
    deleted_at: datetime | None = None


class Hash(_Model):
    """A hash of an entry."""

    hash_type: str
    value: str
    quality: int | None = None


class FeedbackCounts(_Model):
    """Confirmations and disputes of an entry."""

    confirm: int = 0
    dispute: int = 0


class Entry(_Model):
    """An entry."""

    id: int
    list_id: int
    hashes: list[Hash]
    classification: str | None
    labels: list[str]
    external_id: str | None
    contributor: str
    created_at: datetime
    updated_at: datetime
    feedback: FeedbackCounts | None = None


class EntryAdded(Entry):
    """An added entry, or the existing one (``created`` false)."""

    created: bool


class EntryPage(_Model):
    """A page of entries."""

    entries: list[Entry]
    next_after: int | None


class Feedback(_Model):
    """The caller's org's verdict on an entry."""

    entry_id: int
    verdict: str
    reason: str
    note: str
    updated_at: datetime


class Change(_Model):
    """A feed change; ``entry`` is the entry's full state after it (None for a tombstone)."""

    seq: int
    kind: str
    entry_id: int
    entry: dict[str, Any] | None
    time: datetime


class OwnVerdict(_Model):
    """The org's own verdict on an entry (beside a feed page)."""

    verdict: str
    reason: str
    note: str


class FeedPage(_Model):
    """A page of a feed; ``your_feedback``: the org's own verdicts on its entries, by entry id."""

    list_id: int
    changes: list[Change]
    next_cursor: str
    has_more: bool
    last_seq: int
    your_feedback: dict[str, OwnVerdict] = {}


class MatchedSeconds(_Model):
    """Consecutive matching frames of one side of a video match: first and last second, and how many frames."""

    start: float
    end: float
    frames: int


class Match(_Model):
    """A lookup hit (the video fields only in video matches: see docs/video.md)."""

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
    source_entry_id: int | None = None
    dihedral_variant: str | None = None
    matched_hash_type: str | None = None
    query_percent: float | None = None
    listed_percent: float | None = None
    query_seconds: list[MatchedSeconds] | None = None
    listed_seconds: list[MatchedSeconds] | None = None
    evidence: str | None = None


class FileHash(_Model):
    """One hash of an uploaded file."""

    hash_type: str
    value: str
    quality: int | None = None


class LookupResult(_Model):
    """The matches of a lookup."""

    queried: int
    matches: list[Match]
    hash_types: list[str] | None = None
    pdq_quality: int | None = None
    hashes: list[FileHash] | None = None


class ImportLineError(_Model):
    """A bad line of an import."""

    line: int
    code: str
    message: str


class ImportResult(_Model):
    """The outcome of an import (nothing is written when there are errors)."""

    committed: bool
    lines: int
    created: int
    existing: int
    errors: list[ImportLineError]
    errors_truncated: bool


class AuditEvent(_Model):
    """An audit event."""

    id: int
    action: str
    target: str
    count: int
    key_id: int | None
    detail: dict[str, Any]
    time: datetime


class CheckMessage(_Model):
    """The four-part deterrence message in one language, as a check answers it (the text only; help links are
    in :attr:`DeterrenceCheck.resources`)."""

    language: str
    title: str
    illegal: str
    harm: str
    consequences: str
    help: str


class DeterrenceResource(_Model):
    """A help service; ``url`` is the hub's click-through link to it."""

    name: str
    url: str
    description: str = ""


class DeterrenceExplanation(_Model):
    """For term-list maintainers (admin keys): a rule that fired and how."""

    rule_id: str
    rule: str
    how: str
    explanation: str


class DeterrenceStep(_Model):
    """One normalisation step of a reading and the text after it."""

    step: str
    text: str


class DeterrenceCharacter(_Model):
    """A letter-like character, the letter it reads as, and which Unicode data says so."""

    character: str
    reads_as: str
    source: str


class DeterrenceReading(_Model):
    """For term-list maintainers (admin keys): one reading of the query and its normalisation steps."""

    reading: str
    steps: list[DeterrenceStep]
    normalised: str
    despaced: str
    characters: list[DeterrenceCharacter]


class DeterrenceNearMiss(_Model):
    """For term-list maintainers (admin keys): a rule that did not fire, the closest part of the query, and why."""

    rule_id: str
    rule: str
    closest: str
    distance: int
    reason: str


class DeterrenceCheck(_Model):
    """A deterrence check's answer."""

    deter: bool
    message: CheckMessage | None = None
    resources: list[DeterrenceResource] = []
    notes: list[str] = []
    explain: list[DeterrenceExplanation] | None = None
    readings: list[DeterrenceReading] | None = None
    near_misses: list[DeterrenceNearMiss] | None = None


class DeterrenceSettings(_Model):
    """An org's deterrence settings."""

    public: bool
    public_per_minute: int
    public_check_path: str
    custom_catalog: bool
    catalog: dict[str, Any]


class DeterrenceRuleCount(_Model):
    """One rule's counts on one day."""

    rule_id: str
    rule: str | None = None
    responses: int
    clicks: int


class DeterrenceDay(_Model):
    """One UTC day's deterrence counts."""

    day: date
    checks: int
    responses: int
    clicks: int
    rules: list[DeterrenceRuleCount] = []


class WebhookEventCounts(_Model):
    """How many of an endpoint's events wait, were delivered, died."""

    pending: int = 0
    delivered: int = 0
    dead: int = 0


class WebhookEndpoint(_Model):
    """A webhook endpoint of the org (never its secret)."""

    id: int
    name: str
    url: str
    paused: bool
    created_at: datetime
    previous_secret_until: datetime | None = None
    events: WebhookEventCounts


class WebhookEndpointSecret(WebhookEndpoint):
    """An endpoint with its new signing secret (``whsec_...``), shown once."""

    secret: str


class WebhookEvent(_Model):
    """One outbox event of an endpoint and where its delivery is."""

    id: int
    webhook_id: str
    event_type: str
    ordering_key: str
    state: str
    attempts: int
    next_attempt_at: datetime | None = None
    created_at: datetime
    finished_at: datetime | None = None


class WebhookAttempt(_Model):
    """One delivery attempt."""

    id: int
    started_at: datetime
    outcome: str
    latency_ms: float
    status_code: int | None = None
    response: str | None = None
    error: str | None = None


class WebhookEventDetail(WebhookEvent):
    """An event with its payload and every attempt."""

    payload: dict[str, Any]
    attempt_log: list[WebhookAttempt]


class WebhookRedelivered(_Model):
    """How many events were queued again."""

    redelivered: int


class DisputeVerdict(_Model):
    """One org's verdict on an entry, as its list's owner reads it."""

    org: str
    verdict: str
    reason: str
    note: str
    created_at: datetime
    updated_at: datetime


class DisputeResolution(_Model):
    """The owner's answer to an entry's disputes."""

    entry_id: int
    action: str
    reason: str
    reply: str
    restored_as: int | None = None
    created_at: datetime


class EntryDisputes(_Model):
    """Every verdict on an entry of the org's list, and its resolutions."""

    entry_id: int
    list_id: int
    list_name: str
    removed: bool
    open_disputes: int
    verdicts: list[DisputeVerdict]
    resolutions: list[DisputeResolution]


class DisputeInboxItem(_Model):
    """An entry with open disputes."""

    entry_id: int
    list_id: int
    list_name: str
    open_disputes: int
    confirms: int
    last_dispute_at: datetime
    quarantined: bool


class DisputePolicy(_Model):
    """A list's dispute policy (``quarantine_after`` None: never automatically)."""

    list_id: int
    quarantine_after: int | None

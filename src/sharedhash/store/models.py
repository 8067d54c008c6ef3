"""SQLAlchemy 2 models of the hub: orgs, API keys, hash lists and their shares, entries, feedback, feed, audit.

Rows are never deleted: removals set ``deleted_at`` (a tombstone), so ids are never reused and the feed and the
in-memory indexes can rely on "an id, once dead, stays dead".
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from sharedhash.hashing import IndexKind, get_hash_type, hash_type_names
from sharedhash.limits import PDQ_THRESHOLD_DEFAULT, VIDEO_LISTED_PERCENT_DEFAULT, VIDEO_QUERY_PERCENT_DEFAULT

# SQLite only auto-increments INTEGER PRIMARY KEY columns; PostgreSQL gets real 64-bit ids.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Scope(StrEnum):
    """What an API key may do. ``admin`` implies ``contribute`` implies ``read``."""

    READ = "read"
    CONTRIBUTE = "contribute"
    ADMIN = "admin"


class Visibility(StrEnum):
    """Who may read a hash list besides its owner."""

    PRIVATE = "private"
    SHARED = "shared"
    MEMBERS = "members"


class Access(StrEnum):
    """What a sharee may do with a shared list."""

    READ = "read"
    CONTRIBUTE = "contribute"


class Classification(StrEnum):
    """The industry classification: A prepubescent / B pubescent; 1 sex act / 2 lascivious exhibition."""

    A1 = "A1"
    A2 = "A2"
    B1 = "B1"
    B2 = "B2"


class Verdict(StrEnum):
    """An org's feedback on an entry."""

    CONFIRM = "confirm"
    DISPUTE = "dispute"


class ChangeKind(StrEnum):
    """The kind of a feed change."""

    ADD = "add"
    UPDATE = "update"
    TOMBSTONE = "tombstone"


class Base(DeclarativeBase):
    """Declarative base of every sharedhash table."""


class Org(Base):
    """A member organisation."""

    __tablename__ = "orgs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # The hub operator's org may create other orgs through the API; everyone else is a member.
    is_operator: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ApiKey(Base):
    """An org's API key: only a salted SHA-256 of the secret is stored, found by its public prefix."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    salt: Mapped[str] = mapped_column(String(64))
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class HashList(Base):
    """A named collection of entries owned by one org; ``last_seq`` numbers its feed."""

    __tablename__ = "hash_lists"
    __table_args__ = (UniqueConstraint("owner_org_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    owner_org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PRIVATE.value)
    pdq_threshold: Mapped[int] = mapped_column(Integer, default=PDQ_THRESHOLD_DEFAULT)
    # The list's video match rule: the shares (%) of the listed video's and of the query's frames that must match.
    video_listed_percent: Mapped[int] = mapped_column(Integer, default=VIDEO_LISTED_PERCENT_DEFAULT)
    video_query_percent: Mapped[int] = mapped_column(Integer, default=VIDEO_QUERY_PERCENT_DEFAULT)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    # Set on a mirrored list: the feed it copies (read-only locally; only sync writes to it).
    source_url: Mapped[str | None] = mapped_column(String(2000))
    source_list_id: Mapped[int | None] = mapped_column(BigInteger)
    source_cursor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Set when the owner deleted the list: every entry was tombstoned through the feed, which its readers can
    # still read (so their mirrors follow); nobody can change it any more.
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ListShare(Base):
    """A hash list shared with a named org, for reading or contributing."""

    __tablename__ = "list_shares"

    list_id: Mapped[int] = mapped_column(ForeignKey("hash_lists.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True, index=True)
    access: Mapped[str] = mapped_column(String(16))


class Entry(Base):
    """One known file: its hashes (in :class:`EntryHash`), classification, labels and provenance."""

    __tablename__ = "entries"
    __table_args__ = (
        Index(
            "ix_entries_list_external_id",
            "list_id",
            "external_id",
            unique=True,
            sqlite_where=text("deleted_at IS NULL AND external_id IS NOT NULL"),
            postgresql_where=text("deleted_at IS NULL AND external_id IS NOT NULL"),
        ),
        Index(
            "ix_entries_list_source_entry",
            "list_id",
            "source_entry_id",
            unique=True,
            sqlite_where=text("source_entry_id IS NOT NULL"),
            postgresql_where=text("source_entry_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("hash_lists.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    contributor: Mapped[str] = mapped_column(String(100))
    classification: Mapped[str | None] = mapped_column(String(2))
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    external_id: Mapped[str | None] = mapped_column(String(200))
    # On a mirrored list: the entry's id on the source hub, which makes sync idempotent.
    source_entry_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class EntryHash(Base):
    """One hash of an entry. A (type, value) is active at most once per list.

    Values may be long (video hashes, see ``HashType.max_value_chars``): on PostgreSQL, whose index rows are at
    most ~2.7 KB, uniqueness is on ``md5(value)`` and queries by value compare it too (:func:`value_matches`);
    SQLite indexes the value itself (migration ``0005_long_values``)."""

    __tablename__ = "entry_hashes"
    __table_args__ = (
        Index(
            "ix_entry_hashes_active_value",
            "list_id",
            "hash_type",
            "value",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
        ).ddl_if(dialect="sqlite"),
        Index(
            "ix_entry_hashes_active_value_md5",
            "list_id",
            "hash_type",
            text("md5(value)"),
            unique=True,
            postgresql_where=text("deleted_at IS NULL"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("hash_lists.id"))
    hash_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(Text)
    quality: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Feedback(Base):
    """An org's verdict on an entry; one per (entry, org), replaced when the org changes its mind."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("entry_id", "org_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    verdict: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Change(Base):
    """One feed change of a hash list: ``seq`` is dense and increasing per list; ``entry`` is the snapshot."""

    __tablename__ = "changes"
    __table_args__ = (UniqueConstraint("list_id", "seq"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("hash_lists.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    entry_id: Mapped[int] = mapped_column(BigInteger)
    entry: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditEvent(Base):
    """An append-only record of a write, lookup, key event or sync: who, what, when, counts; never a full hash."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_org_id", "org_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int | None] = mapped_column(BigInteger)
    key_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Subscription(Base):
    """A standing pull of a remote hub's feeds into local mirrored lists, run by the server on a schedule."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    url: Mapped[str] = mapped_column(String(2000))
    # The remote key must be usable to call the remote hub, so it cannot be hashed: it is stored encrypted
    # (store.secretbox) with a key kept outside the database.
    api_key: Mapped[str] = mapped_column(String(200))
    interval_seconds: Mapped[int] = mapped_column(Integer, default=60)
    last_run_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DeterrenceSettings(Base):
    """An org's deterrence settings: public mode and its rate, and its message catalog (null: the defaults)."""

    __tablename__ = "deterrence_settings"

    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    public: Mapped[bool] = mapped_column(default=False)
    public_per_minute: Mapped[int] = mapped_column(Integer, default=600)
    catalog: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DeterrenceCounter(Base):
    """Counts only, per org, rule and UTC day: checks, deterrence responses, help-link clicks. Never a query."""

    __tablename__ = "deterrence_counters"

    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    # The rule's 12-character id; "" is the day's total row (all checks, all responses, all clicks).
    rule_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    checks: Mapped[int] = mapped_column(BigInteger, default=0)
    responses: Mapped[int] = mapped_column(BigInteger, default=0)
    clicks: Mapped[int] = mapped_column(BigInteger, default=0)


class DeterrenceLink(Base):
    """A help resource of an org as reached from one rule; click tokens seal this row's id (never a query)."""

    __tablename__ = "deterrence_links"
    __table_args__ = (UniqueConstraint("org_id", "rule_id", "url_hash"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    rule_id: Mapped[str] = mapped_column(String(16))
    url_hash: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DeterrenceSecret(Base):
    """The hub's key for sealing click tokens (one row), so that links stay valid across restarts."""

    __tablename__ = "deterrence_secrets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- Acting on a match: webhook endpoints, the outbox, review queues (issues 12 and 13) --------------------------


class WebhookEndpoint(Base):
    """A named endpoint of an org that webhook events are delivered to (Standard Webhooks)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(2000))
    # Signing secrets (`whsec_...`), sealed with store.secretbox; during a rotation the previous one is kept too.
    secret: Mapped[str] = mapped_column(String(400))
    previous_secret: Mapped[str | None] = mapped_column(String(400))
    previous_secret_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    paused: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboxState(StrEnum):
    """Where an outbox event is in its delivery."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class OutboxEvent(Base):
    """An event to deliver, written in the same transaction as its cause (a match, a decision)."""

    __tablename__ = "outbox_events"
    __table_args__ = (
        Index("ix_outbox_events_due", "state", "next_attempt_at"),
        Index("ix_outbox_events_order", "endpoint_id", "ordering_key", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    # The Standard Webhooks `webhook-id`: stable across redeliveries, so receivers can drop duplicates.
    webhook_id: Mapped[str] = mapped_column(String(64), unique=True)
    event_type: Mapped[str] = mapped_column(String(64))
    # Events with one ordering key (the platform's content id) are delivered in id order.
    ordering_key: Mapped[str] = mapped_column(String(600))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ContentCheck(Base):
    """One check of a platform's content: its hashes and the platform's metadata (never the media itself).

    Kept for the org's retention period, so that hashes a list learns later can match it (retroactive matching).
    ``idempotency_key`` (org, content id and hashes) makes a retried upload find its first check."""

    __tablename__ = "checks"
    __table_args__ = (
        UniqueConstraint("org_id", "idempotency_key"),
        Index("ix_checks_org_created", "org_id", "created_at"),
        Index("ix_checks_org_uploader", "org_id", "uploader_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    content_id: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(16))
    uploader_id: Mapped[str | None] = mapped_column(String(500))
    uploaded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    url: Mapped[str | None] = mapped_column(String(2000))
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    # [{"type": ..., "value": ...}, ...]: the content's own hashes, as computed on the platform or the node.
    hashes: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    matched: Mapped[bool] = mapped_column(default=False)
    # The actions decided for the content, e.g. ["block", "review"].
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ContentMatch(Base):
    """One hit of a check against a list entry: which hash, at what distance, and which rule decided what."""

    __tablename__ = "matches"
    __table_args__ = (
        Index("ix_matches_check", "check_id"),
        Index("ix_matches_org_created", "org_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    list_id: Mapped[int] = mapped_column(ForeignKey("hash_lists.id"))
    entry_id: Mapped[int] = mapped_column(BigInteger)
    hash_type: Mapped[str] = mapped_column(String(32))
    distance: Mapped[int] = mapped_column(Integer, default=0)
    # Found when a list learned the hash after the check (the check's own time is on the check).
    retroactive: Mapped[bool] = mapped_column(default=False)
    # What else explains the match: dihedral variant, matched seconds of a video, evidence of a region match...
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    rule: Mapped[str | None] = mapped_column(String(100))
    actions: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReviewQueue(Base):
    """A named review queue of an org (e.g. `default`, `lead`)."""

    __tablename__ = "review_queues"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReviewState(StrEnum):
    """Where a review item is."""

    OPEN = "open"
    DECIDED = "decided"


class ReviewItem(Base):
    """One piece of content waiting for (or past) a person's decision; created by the action rules."""

    __tablename__ = "review_items"
    __table_args__ = (Index("ix_review_items_next", "queue_id", "state", "priority", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    queue_id: Mapped[int] = mapped_column(ForeignKey("review_queues.id"))
    # The check (content) under review and the match that brought it here.
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id"))
    match_id: Mapped[int | None] = mapped_column(ForeignKey("matches.id"))
    # Higher first; oldest first within a priority.
    priority: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[str] = mapped_column(String(16), default=ReviewState.OPEN.value)
    claimed_by: Mapped[int | None] = mapped_column(BigInteger)
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decision: Mapped[str | None] = mapped_column(String(32))
    classification: Mapped[str | None] = mapped_column(String(4))
    decided_by: Mapped[int | None] = mapped_column(BigInteger)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- webhooks: delivery attempts of outbox events (migration 0008_webhooks) ------------------------------------


class AttemptOutcome(StrEnum):
    """How one delivery attempt ended."""

    DELIVERED = "delivered"  # a 2xx answer
    FAILED = "failed"  # any other HTTP answer (a redirect too: none is followed)
    TIMEOUT = "timeout"  # no connection or no answer within the timeouts
    UNREACHABLE = "unreachable"  # the name did not resolve, the connection was refused or broke
    BLOCKED = "blocked"  # the URL resolved to an address the node may not send to (private ranges, DNS rebinding)


class WebhookAttempt(Base):
    """One attempt to deliver an outbox event: when, how it ended, how long it took, and what the receiver said
    (its status code and the first KiB of its answer)."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (
        Index("ix_webhook_attempts_event", "event_id", "id"),
        Index("ix_webhook_attempts_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("outbox_events.id"))
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoints.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    outcome: Mapped[str] = mapped_column(String(16))
    latency_ms: Mapped[float] = mapped_column(Float)
    status_code: Mapped[int | None] = mapped_column(Integer)
    # The first KiB of the receiver's answer (decoded as UTF-8, bad bytes replaced), or the error's description.
    response: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(String(500))


# --- Review in the browser: people, their sessions, views of media, exposure (issue 13) -------------------------


class Role(StrEnum):
    """What a person may do in their org's review: ``admin`` implies ``lead`` implies ``moderator``."""

    MODERATOR = "moderator"
    LEAD = "lead"
    ADMIN = "admin"


class Person(Base):
    """A person (moderator, lead, admin) of an org who signs in to the review pages; machines use API keys."""

    __tablename__ = "people"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    # The sign-in name, unique on the hub (an e-mail address or a handle).
    login: Mapped[str] = mapped_column(String(200), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    # argon2id (PHC string); None until the person accepted their invitation.
    password_hash: Mapped[str | None] = mapped_column(String(200))
    # A TOTP secret sealed with store.secretbox; None: no second factor.
    totp_secret: Mapped[str | None] = mapped_column(String(400))
    # SHA-256 of a one-time invitation (or reset) token, and when it stops working.
    invite_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Per-person wellness overrides ({"blur": 0-4, "greyscale": bool, "reveal": "hold"|"hover", "daily_cap": n}).
    wellness: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PersonSession(Base):
    """A signed-in browser: only a SHA-256 of the cookie's token is stored, with the session's CSRF token."""

    __tablename__ = "person_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReviewSettings(Base):
    """An org's review settings: media hosts the proxy may fetch from, exposure cap, the decision webhook."""

    __tablename__ = "review_settings"

    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    media_hosts: Mapped[list[str]] = mapped_column(JSON, default=list)
    daily_cap: Mapped[int] = mapped_column(Integer, default=200)
    break_every: Mapped[int] = mapped_column(Integer, default=25)
    # The webhook endpoint (by name) that gets `review.*` events; None: no events.
    decision_endpoint: Mapped[str | None] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Opt-in quarantine store: the platform may upload review media, kept encrypted (0015_quarantine).
    quarantine: Mapped[bool] = mapped_column(default=False)
    # Automatic contribution: a confirmed review's hashes are added to this list of the org's own; None: off.
    contribute_list_id: Mapped[int | None] = mapped_column(BigInteger)


class MediaView(Base):
    """One view of a check's media by a person (thumbnail or full size): whether anyone viewed a file matters."""

    __tablename__ = "media_views"
    __table_args__ = (Index("ix_media_views_check", "check_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    size: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ExposureCounter(Base):
    """How many files a person viewed at full size on a UTC day (the daily cap and break prompts read it)."""

    __tablename__ = "exposure_counters"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    views: Mapped[int] = mapped_column(Integer, default=0)


class ReviewSkip(Base):
    """A person skipped an item, with a reason: the item goes back to the queue, not to them again."""

    __tablename__ = "review_skips"
    __table_args__ = (UniqueConstraint("item_id", "person_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("review_items.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- Reports (CyberTipline): org settings, credentials, reports, their files, preservation records -------------


class ReportStatus(StrEnum):
    """Where a report is: ``draft`` (editable) -> ``submitting`` (queued, retried with back-off) -> ``submitted``
    (open at NCMEC, files going up) -> ``finished`` (final at NCMEC); or ``failed`` (a permanent error, or out of
    retries; an open NCMEC report is retracted), ``expired`` (NCMEC cancelled it unfinished and the retry window is
    over), ``retracted`` (withdrawn before it was finished)."""

    DRAFT = "draft"
    SUBMITTING = "submitting"
    SUBMITTED = "submitted"
    FINISHED = "finished"
    FAILED = "failed"
    EXPIRED = "expired"
    RETRACTED = "retracted"


class ReportSettings(Base):
    """An org's reporter details (the ``reporter`` of its reports), its default CyberTipline environment and its
    pre-submit webhook."""

    __tablename__ = "report_settings"

    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    reporter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    environment: Mapped[str] = mapped_column(String(16), default="test")
    # The platform's pre-submit webhook (asked for the uploader's details) and its signing secret, sealed.
    pre_submit_url: Mapped[str | None] = mapped_column(String(2000))
    pre_submit_secret: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReportCredential(Base):
    """An org's CyberTipline account in one environment; the password is sealed (store.secretbox), never plain."""

    __tablename__ = "report_credentials"
    __table_args__ = (UniqueConstraint("org_id", "environment"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    environment: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(String(2000))
    username: Mapped[str] = mapped_column(String(200))
    password: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Report(Base):
    """A CyberTipline report about one reported person (the uploader), and its submission state."""

    __tablename__ = "reports"
    __table_args__ = (
        Index("ix_reports_org_id", "org_id", "id"),
        Index("ix_reports_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    uploader_id: Mapped[str] = mapped_column(String(200))
    environment: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default=ReportStatus.DRAFT.value)
    incident_type: Mapped[str] = mapped_column(String(100))
    incident_time: Mapped[datetime] = mapped_column(UtcDateTime)
    reporter: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reported_person: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    additional_info: Mapped[str] = mapped_column(Text, default="")
    # A follow-up names an earlier finished report of the same org (its NCMEC id goes into priorCTReports).
    follows_report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    ncmec_report_id: Mapped[int | None] = mapped_column(BigInteger)
    ncmec_opened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # NCMEC report ids given up on: expired unfinished at NCMEC, or retracted after a failure.
    abandoned_ncmec_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    first_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_code: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    retracted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReportFile(Base):
    """One reported file: name, hashes, whether a person at the platform viewed it, whether it was public, where it
    was; its bytes (sealed, optional until submission) and its NCMEC file id once uploaded."""

    __tablename__ = "report_files"
    __table_args__ = (
        Index("ix_report_files_report_id", "report_id", "position"),
        Index("ix_report_files_review_item", "review_item_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    position: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(500))
    hashes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    viewed_by_esp: Mapped[bool] = mapped_column(default=False)
    publicly_available: Mapped[bool | None] = mapped_column()
    original_url: Mapped[str] = mapped_column(String(2000), default="")
    classification: Mapped[str] = mapped_column(String(2), default="")
    content: Mapped[str | None] = mapped_column(Text, deferred=True)
    content_md5: Mapped[str | None] = mapped_column(String(32))
    content_size: Mapped[int | None] = mapped_column(BigInteger)
    ncmec_file_id: Mapped[str | None] = mapped_column(String(100))
    details_sent: Mapped[bool] = mapped_column(default=False)
    # The confirmed review item the file was drafted from (0014_report_drafts); None: given through the API.
    review_item_id: Mapped[int | None] = mapped_column(BigInteger)


class ReportPreservation(Base):
    """What was reported, kept for the legal preservation period (``preserve_until``), then purged: the file's
    name and hashes and the NCMEC report id (the file's sealed bytes stay on its report_files row until then)."""

    __tablename__ = "report_preservations"
    __table_args__ = (Index("ix_report_preservations_until", "preserve_until"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"))
    report_file_id: Mapped[int] = mapped_column(ForeignKey("report_files.id"))
    ncmec_report_id: Mapped[int] = mapped_column(BigInteger)
    file_name: Mapped[str] = mapped_column(String(500))
    hashes: Mapped[list[Any]] = mapped_column(JSON, default=list)
    reported_at: Mapped[datetime] = mapped_column(UtcDateTime)
    preserve_until: Mapped[datetime] = mapped_column(UtcDateTime)


# --- promises (issue 17): access that ends reaches the mirrors, suspended orgs ---------------------------------


class FeedReader(Base):
    """On a hub: an org that has read a list's feed. If its access ends (share removed, visibility narrowed, list
    deleted, owner suspended), the feed answers ``access_lost`` to it, rather than the 404 anyone else gets."""

    __tablename__ = "feed_readers"

    list_id: Mapped[int] = mapped_column(ForeignKey("hash_lists.id"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    first_read_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class MirrorAccess(Base):
    """On a node: a mirrored list whose source said the access ended. Its entries were tombstoned and their hash
    values and snapshots purged; this row keeps why and when (never a hash). Deleted when access comes back."""

    __tablename__ = "mirror_access"

    list_id: Mapped[int] = mapped_column(ForeignKey("hash_lists.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32))
    since: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    purged: Mapped[int] = mapped_column(Integer, default=0)


class OrgSuspension(Base):
    """An org suspended by the local operator (history: a reinstatement sets ``reinstated_at``). While a row of an
    org has no ``reinstated_at``, its keys do not authenticate and the lists it owns are readable by nobody else."""

    __tablename__ = "org_suspensions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    reason: Mapped[str] = mapped_column(String(500), default="")
    suspended_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reinstated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class FeedbackOutbox(Base):
    """On a node: feedback its org gave on a mirrored entry, waiting to be sent to the source hub (a loop drains
    it with the subscription's key; a row survives restarts and hub downtime). One pending row per (entry, org):
    a newer verdict replaces it. ``action`` is ``give`` (verdict, reason, note) or ``withdraw``; ``state`` is
    ``pending``, ``sent`` or ``dropped`` (the source answered that it cannot take it, e.g. the entry is gone)."""

    __tablename__ = "feedback_outbox"
    __table_args__ = (Index("ix_feedback_outbox_state", "state", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    source_url: Mapped[str] = mapped_column(String(2000))
    source_entry_id: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(16))
    verdict: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SourceFeedback(Base):
    """On a node: a mirrored entry's verdict counts on its source hub, as the source's feed last carried them."""

    __tablename__ = "source_feedback"

    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), primary_key=True)
    confirm: Mapped[int] = mapped_column(Integer, default=0)
    dispute: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DisputeResolution(Base):
    """A list owner's answer to the disputes of an entry: ``keep`` (with a reply to the disputing orgs) or
    ``remove`` (with a reason code that travels on the tombstone). Disputes given or changed after it are open."""

    __tablename__ = "dispute_resolutions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("entries.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(32), default="")
    reply: Mapped[str] = mapped_column(Text, default="")
    # On a quarantined entry kept: the entry that restores it (a tombstoned entry stays dead).
    restored_as: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DisputePolicy(Base):
    """A list's dispute policy: an entry disputed by ``quarantine_after`` distinct orgs is quarantined (removed
    from matching, its tombstone saying so) until the owner resolves it."""

    __tablename__ = "dispute_policies"

    list_id: Mapped[int] = mapped_column(ForeignKey("hash_lists.id"), primary_key=True)
    quarantine_after: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- Acting on a match: action rules, suppressions, the hashes of checks (issue 12, act) ---------------------------


class ActionRule(Base):
    """One action rule of an org: conditions on a match, and what to do when they hold. Rules run by ``position``.

    ``conditions`` and ``actions`` are JSON validated by the rules schema (server/rules/schemas.py); ``stop`` ends the
    evaluation of later rules for the match when this rule fires."""

    __tablename__ = "action_rules"
    __table_args__ = (UniqueConstraint("org_id", "name"), Index("ix_action_rules_org_position", "org_id", "position"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    stop: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Suppression(Base):
    """A hash of an org's own content it declared a false positive: a match of it never triggers an action."""

    __tablename__ = "suppressions"
    __table_args__ = (UniqueConstraint("org_id", "hash_type", "value"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    hash_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


def near_match_types() -> list[str]:
    """The hash types whose check hashes are matched through the node's in-memory index (near matches), not by
    value in SQL: their rows are left out of ``ix_check_hashes_value`` (:func:`check_hash_value_indexed`)."""
    return [name for name in hash_type_names() if get_hash_type(name).index_kind is IndexKind.HAMMING256]


def check_hash_value_indexed() -> str:
    """The predicate of the partial index ``ix_check_hashes_value``: every hash type but the near-match ones.

    Written as SQL text so that a query can repeat it term for term: SQLite uses a partial index only for a query
    whose WHERE clause contains the index's condition itself (it does not prove ``hash_type = ?`` implies it);
    PostgreSQL proves it from the query's constants either way. The same text on both backends, from the hash
    types' traits (no type named here); a new near-match type needs a migration re-creating the index
    (tests/store/test_check_hash_index.py compares the database's predicate with this one)."""
    names = near_match_types()
    if not all(re.fullmatch(r"[a-z0-9_]+", name) for name in names):
        raise ValueError("hash type names are lowercase letters, digits and underscores")
    return f"hash_type NOT IN ({', '.join(repr(name) for name in names)})" if names else "hash_type IS NOT NULL"


class CheckHash(Base):
    """One fixed-width hash of a check, for retroactive matching: exact types are found by value in SQL, near-match
    types through the node's in-memory index of check hashes (server/memory/check_hashes.py). Purged with its check.
    """

    __tablename__ = "check_hashes"
    __table_args__ = (
        # Partial (migration 0017): the near-match types' rows, nearly all of a hub's, are never read by value.
        Index(
            "ix_check_hashes_value",
            "hash_type",
            "value",
            postgresql_where=text(check_hash_value_indexed()),
            sqlite_where=text(check_hash_value_indexed()),
        ),
        Index("ix_check_hashes_check", "check_id"),
        Index("ix_check_hashes_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    hash_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# --- Quarantine: review media a platform uploaded, encrypted at rest (0015_quarantine) ----------------------------


class QuarantineFile(Base):
    """One quarantined media file of a check: its bytes are on disk, encrypted with a per-file key (AES-256-GCM)
    that is stored here wrapped with the node's secret key. Deleted after the decision or the retention period;
    kept until ``preserve_until`` when the content was confirmed (legal preservation)."""

    __tablename__ = "quarantine_files"
    __table_args__ = (
        UniqueConstraint("check_id"),
        Index("ix_quarantine_files_org", "org_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id"))
    # The file's name in the quarantine folder (random; never derived from the content).
    path: Mapped[str] = mapped_column(String(200))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    # The per-file key, sealed with store/secretbox.py (the node's secret key).
    wrapped_key: Mapped[str] = mapped_column(String(400))
    nonce: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Deleted by the purge loop after this unless preserved (the retention period).
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # Set when the content was confirmed: kept until then (the legal preservation period).
    preserve_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set when the bytes were deleted; the row stays as the record that the file existed and was purged.
    deleted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    deleted_reason: Mapped[str | None] = mapped_column(String(32))

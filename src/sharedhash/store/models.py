"""SQLAlchemy 2 models of the hub: orgs, API keys, hash lists and their shares, entries, feedback, feed, audit.

Rows are never deleted: removals set ``deleted_at`` (a tombstone), so ids are never reused and the feed and the
in-memory indexes can rely on "an id, once dead, stays dead".
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
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

from sharedhash.limits import PDQ_THRESHOLD_DEFAULT

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


class CheckHash(Base):
    """One fixed-width hash of a check, for retroactive matching: exact types are found by value in SQL, near-match
    types through the node's in-memory index of check hashes (server/memory/check_hashes.py). Purged with its check.
    """

    __tablename__ = "check_hashes"
    __table_args__ = (
        Index("ix_check_hashes_value", "hash_type", "value"),
        Index("ix_check_hashes_check", "check_id"),
        Index("ix_check_hashes_created", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id"))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    hash_type: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

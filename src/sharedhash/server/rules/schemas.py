"""Request and response bodies of action rules, their dry run, and the org's suppression list."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from sharedhash import limits
from sharedhash.server.schemas import ClassificationName, HashTypeName, Strict

RuleName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")]
ContentTypeName = Literal["image", "video", "other"]
#: Event types of match webhooks: ``match.<word>``; the word is the action the platform takes (block, quarantine).
EventType = Annotated[str, Field(pattern=r"^match\.[a-z][a-z_]{0,39}$")]


class RuleConditions(Strict):
    """Every condition given must hold for the rule to fire; an empty set of conditions fires on every match."""

    list_ids: list[Annotated[int, Field(ge=1, le=limits.MAX_ID)]] | None = Field(
        default=None, min_length=1, max_length=100
    )
    list_names: list[Annotated[str, Field(min_length=1, max_length=limits.MAX_LIST_NAME_CHARS)]] | None = Field(
        default=None, min_length=1, max_length=100
    )
    classifications: list[ClassificationName] | None = Field(default=None, min_length=1)
    entry_labels: list[Annotated[str, Field(min_length=1, max_length=limits.MAX_LABEL_CHARS)]] | None = Field(
        default=None, min_length=1, max_length=limits.MAX_LABELS
    )
    hash_types: list[Annotated[str, HashTypeName]] | None = Field(default=None, min_length=1, max_length=20)
    max_distance: int | None = Field(default=None, ge=0, le=100)
    content_types: list[ContentTypeName] | None = Field(default=None, min_length=1)
    disputed: bool | None = None
    min_confirmations: int | None = Field(default=None, ge=1, le=10_000)


class WebhookAction(Strict):
    """Send an event to one of the org's webhook endpoints (by name)."""

    type: Literal["webhook"]
    endpoint: str = Field(min_length=1, max_length=100)
    event_type: EventType


class ReviewAction(Strict):
    """Enqueue the content for review in a named queue; higher priority first."""

    type: Literal["review"]
    queue: str = Field(default="default", min_length=1, max_length=100, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    priority: int = Field(default=0, ge=-1000, le=1000)


class SuppressAction(Strict):
    """Take no action on the match (it is still recorded)."""

    type: Literal["suppress"]


Action = Annotated[WebhookAction | ReviewAction | SuppressAction, Field(discriminator="type")]


class RuleIn(Strict):
    """A new rule: ``position`` 1 runs first (default: last)."""

    name: RuleName
    conditions: RuleConditions = Field(default_factory=RuleConditions)
    actions: list[Action] = Field(min_length=1, max_length=20)
    stop: bool = False
    position: int | None = Field(default=None, ge=1, le=10_000)


class RuleOut(BaseModel):
    """A stored rule."""

    id: int
    name: str
    position: int
    conditions: dict[str, object]
    actions: list[dict[str, object]]
    stop: bool
    created_at: datetime


class MatchIn(Strict):
    """A match to run the rules on without acting: the list (by id, readable by the org), the entry's facts, the
    match and the content type."""

    list_id: int = Field(ge=1, le=limits.MAX_ID)
    classification: ClassificationName | None = None
    entry_labels: list[Annotated[str, Field(max_length=limits.MAX_LABEL_CHARS)]] = Field(
        default_factory=list, max_length=limits.MAX_LABELS
    )
    hash_type: str = HashTypeName
    distance: int = Field(default=0, ge=0, le=100)
    content_type: ContentTypeName = "image"
    disputes: int = Field(default=0, ge=0)
    confirms: int = Field(default=0, ge=0)


class RuleTestIn(Strict):
    """A dry run: the org's stored rules (or ``rules``, to try new ones) on one match."""

    match: MatchIn
    rules: list[RuleIn] | None = Field(default=None, max_length=1000)


class TraceStep(BaseModel):
    """One rule of a dry run: whether it fired and why (or why not)."""

    rule: str | None
    fired: bool
    why: str


class RuleTestOut(BaseModel):
    """What the rules would decide for the match: the rule that fired first (None: the safe default), the actions
    in words and in full, whether the match is suppressed, and every rule's reason."""

    rule: str | None
    actions: list[str]
    decided: list[dict[str, object]]
    suppressed: bool
    trace: list[TraceStep]


class SuppressionIn(Strict):
    """A hash of the org's own content that is a false positive: its matches never trigger an action."""

    hash_type: str = HashTypeName
    value: str = Field(min_length=1, max_length=limits.HASH_VALUE_MAX)
    reason: str = Field(default="", max_length=200)


class SuppressionOut(BaseModel):
    """An entry of the org's suppression list (the org's own hash, so shown in full)."""

    id: int
    hash_type: str
    value: str
    reason: str
    created_at: datetime

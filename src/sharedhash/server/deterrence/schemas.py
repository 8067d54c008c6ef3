"""Request and response bodies of the deterrence routes."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field

from sharedhash.server.schemas import Strict


class CheckIn(BaseModel):
    """A deterrence check. Only ``query`` is required; no part of it is stored or logged."""

    query: str = Field(description="The search query, as typed.")
    locale: str | None = Field(default=None, max_length=35, description="Language of the message, e.g. de-DE.")
    country: str | None = Field(default=None, max_length=8, description="ISO 3166 country for help resources.")
    explain: bool = Field(default=False, description="Admin keys only: also answer which rules fired and why.")


class MessageOut(BaseModel):
    """The four-part deterrence message in one language."""

    language: str
    title: str
    illegal: str
    harm: str
    consequences: str
    help: str


class ResourceOut(BaseModel):
    """A confidential help service; ``url`` is a click-through link that leads to it."""

    name: str
    url: str
    description: str


class ExplainOut(BaseModel):
    """For term-list maintainers (admin keys only): one rule that fired, and how."""

    rule_id: str
    rule: str
    how: str
    explanation: str


class StepOut(BaseModel):
    """One normalisation step and the text after it."""

    step: str
    text: str


class CharacterOut(BaseModel):
    """A letter-like character of the query, the letter it reads as, and which Unicode data says so."""

    character: str
    reads_as: str
    source: str


class ReadingOut(BaseModel):
    """For term-list maintainers (admin keys): one reading of the query (as received, decoded, symbols read as
    letters or as separators) and the text after each normalisation step."""

    reading: str
    steps: list[StepOut]
    normalised: str
    despaced: str
    characters: list[CharacterOut]


class NearMissOut(BaseModel):
    """For term-list maintainers (admin keys): a rule that did not fire, the closest part of the query, and why."""

    rule_id: str
    rule: str
    closest: str
    distance: int
    reason: str


class CheckOut(BaseModel):
    """The answer: deter or not, and if so the message and help resources. Which rule fired is not told."""

    deter: bool
    message: MessageOut | None
    resources: list[ResourceOut]
    notes: list[str] = Field(description="empty, truncated, invalid_unicode or control_characters; never errors.")
    explain: list[ExplainOut] | None = None
    readings: list[ReadingOut] | None = Field(default=None, description="With explain: each reading's steps.")
    near_misses: list[NearMissOut] | None = Field(
        default=None, description="With explain: the closest rules that did not fire, and why."
    )


class SettingsIn(Strict):
    """A change of the org's deterrence settings; fields left out stay as they are."""

    public: bool | None = Field(default=None, description="Allow checks without an API key (rate-limited).")
    public_per_minute: int | None = Field(default=None, ge=1, le=1_000_000, description="Public checks a minute.")
    catalog: dict[str, Any] | None = Field(
        default=None, description="Message templates and help resources; null restores the defaults."
    )


class SettingsOut(BaseModel):
    """The org's effective deterrence settings."""

    public: bool
    public_per_minute: int
    public_check_path: str
    custom_catalog: bool
    catalog: dict[str, Any]


class RuleCountOut(BaseModel):
    """One rule's counts on one day."""

    rule_id: str
    rule: str | None = Field(description="The rule, if the org can still read it.")
    responses: int
    clicks: int


class DayOut(BaseModel):
    """One UTC day's counts."""

    day: date
    checks: int
    responses: int
    clicks: int
    rules: list[RuleCountOut]


class StatsOut(BaseModel):
    """Counts only: per day and rule, deterrence responses and help-link clicks."""

    days: list[DayOut]

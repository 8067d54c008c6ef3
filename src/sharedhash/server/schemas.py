"""What the API's request and response bodies share (pydantic): the strict base, hashes, feedback counts, the error
body and the limits every domain's schemas use. Each domain's own bodies are in ``server/<domain>/schemas.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, field_validator
from pydantic import Strict as StrictMode
from pydantic_core import PydanticCustomError

from sharedhash import limits

ClassificationName = Literal["A1", "A2", "B1", "B2"]
HASH_VALUE_MAX = limits.HASH_VALUE_MAX
#: What a request's hash value may be at most: twice a long-valued type's (its other accepted forms may be longer);
#: each type's own limit (``max_value_chars``) is checked by the service, with the code ``hash_value_too_long``.
ANY_HASH_VALUE_MAX = 2 * limits.LONG_HASH_VALUE_MAX
HashTypeName = Field(min_length=1, max_length=limits.HASH_TYPE_NAME_MAX, pattern=r"^[a-z][a-z0-9_]*$")


def _clean_text(value: Any) -> Any:
    """``value`` unchanged if every string in it (list items, dict keys and values, at any depth) is text the hub
    may store (:func:`sharedhash.limits.text_problem`); else a validation error of type ``invalid_text``."""
    if isinstance(value, str):
        problem = limits.text_problem(value)
        if problem is not None:
            raise PydanticCustomError("invalid_text", problem)
    elif isinstance(value, list | tuple):
        for item in value:
            _clean_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            _clean_text(key)
            _clean_text(item)
    return value


def aware_time(value: datetime | None) -> datetime | None:
    """A time with its time zone, within years 1970 to 9998 once in UTC (so that every store can hold it)."""
    if value is None:
        return None
    try:
        in_utc = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise PydanticCustomError("invalid_time", "the time is out of range") from None
    if not 1970 <= in_utc.year <= 9998:
        raise PydanticCustomError("invalid_time", "the time must fall in the years 1970 to 9998")
    return in_utc


def _time_text(value: Any) -> Any:
    if not isinstance(value, str | datetime):
        raise PydanticCustomError("invalid_time", "a time is an ISO 8601 string with a time zone")
    return value


#: A request time: ISO 8601 with a time zone (``Z`` or ``+01:00``); a time without one is refused, not guessed.
AwareTime = Annotated[AwareDatetime, StrictMode(False), BeforeValidator(_time_text), AfterValidator(aware_time)]
#: Marks an enum field of a :class:`Strict` model that reads its value from the JSON string (``Annotated[E, Lax]``).
Lax = StrictMode(False)


class Strict(BaseModel):
    """Unknown fields are refused: a typo must not silently do nothing. Values are not coerced (``true`` or
    ``"31"`` are no integer; enum fields and times still read their JSON strings). Text that the hub may not
    store (a lone surrogate, NUL, not NFC: :func:`sharedhash.limits.text_problem`) is refused in every field."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _clean_text_fields(cls, value: Any) -> Any:
        return _clean_text(value)


class HashIn(Strict):
    """One hash: its type, value and, for PDQ, optionally the quality reported by the hasher."""

    hash_type: str = HashTypeName
    value: str = Field(min_length=1, max_length=ANY_HASH_VALUE_MAX)
    quality: int | None = Field(default=None, ge=0, le=100)


class HashOut(BaseModel):
    """One hash of an entry."""

    hash_type: str
    value: str
    quality: int | None = None


class FeedbackCounts(BaseModel):
    """How many orgs confirm and dispute an entry."""

    confirm: int = 0
    dispute: int = 0


class ErrorBody(BaseModel):
    """The standard error: a stable ``code``, a message and a fix hint."""

    code: str
    message: str
    hint: str


class ErrorOut(BaseModel):
    """Every error response."""

    error: ErrorBody

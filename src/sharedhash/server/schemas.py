"""What the API's request and response bodies share (pydantic): the strict base, hashes, feedback counts, the error
body and the limits every domain's schemas use. Each domain's own bodies are in ``server/<domain>/schemas.py``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sharedhash import limits

ClassificationName = Literal["A1", "A2", "B1", "B2"]
HASH_VALUE_MAX = limits.HASH_VALUE_MAX
#: What a request's hash value may be at most: twice a long-valued type's (its other accepted forms may be longer);
#: each type's own limit (``max_value_chars``) is checked by the service, with the code ``hash_value_too_long``.
ANY_HASH_VALUE_MAX = 2 * limits.LONG_HASH_VALUE_MAX
HashTypeName = Field(min_length=1, max_length=limits.HASH_TYPE_NAME_MAX, pattern=r"^[a-z][a-z0-9_]*$")


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

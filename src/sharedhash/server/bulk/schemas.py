"""Request and response bodies of the bulk endpoints."""

from __future__ import annotations

from pydantic import BaseModel


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

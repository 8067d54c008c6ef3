"""Errors the store raises, under the branches of :mod:`sharedhash.errors`."""

from __future__ import annotations

from sharedhash.errors import AuthenticationError, ConflictError, InvalidInputError


class InvalidCursorError(InvalidInputError):
    """A feed cursor that this hub did not hand out for this list."""

    code = "invalid_cursor"
    default_hint = "Pass a `next_cursor` from an earlier page of the same list, or omit it to start at the beginning."


class InvalidClassificationError(InvalidInputError):
    """A classification outside A1, A2, B1, B2."""

    code = "invalid_classification"
    default_hint = "Use A1, A2, B1, B2, or leave the classification empty."


class LowQualityHashError(InvalidInputError):
    """A PDQ hash whose stated quality is under the contribution minimum."""

    code = "low_quality_hash"
    default_hint = "PDQ hashes of quality under 50 match unreliably; hash a better copy of the image."


class DuplicateHashError(InvalidInputError):
    """The same hash twice in one entry or one request."""

    code = "duplicate_hash"
    default_hint = "Give each hash once."


class KeyRevokedError(AuthenticationError):
    """The API key was revoked."""

    code = "key_revoked"
    default_hint = "Ask an org admin for a new key."


class KeyExpiredError(AuthenticationError):
    """The API key is past its expiry time."""

    code = "key_expired"
    default_hint = "Ask an org admin for a new key."


class NameTakenError(ConflictError):
    """An org or hash list with this name already exists."""

    code = "name_taken"
    default_hint = "Pick another name."


class DuplicateExternalIdError(ConflictError):
    """Another active entry of the list has this external id."""

    code = "duplicate_external_id"
    default_hint = "External ids are unique within a list; update the existing entry instead."


class ReadOnlyListError(ConflictError):
    """A write to a mirrored list, which only sync may change."""

    code = "read_only_list"
    default_hint = "Mirrored lists follow their source hub; contribute to the source list instead."

"""The one error tree of sharedhash: every error has a stable snake_case ``code``, a message and a fix ``hint``.

The API answers every error as ``{"error": {"code": ..., "message": ..., "hint": ...}}`` with the class's HTTP
status; the CLI prints the message and the hint and exits non-zero. Packages add their own subclasses (in their
own ``errors`` module) under these branches, never a new root::

    SharedhashError
    ├── InvalidInputError              400  the caller sent something malformed
    │   ├── InvalidHashError               a hash value of the wrong length, alphabet or type
    │   ├── UnknownHashTypeError           a hash type nobody registered
    │   └── LimitExceededError         413  a size, count or length limit
    ├── MediaError                     422  a file that cannot be hashed
    │   ├── EmptyFileError                 zero bytes
    │   ├── UnsupportedMediaError          not an image format we decode
    │   ├── CorruptMediaError              truncated or damaged data
    │   ├── ImageTooLargeError             more pixels than the configured limit (decompression bomb)
    │   └── ImageTooSmallError             too few pixels for a perceptual hash
    ├── FileAccessError                400  a path that does not exist or cannot be read
    ├── CorruptDataError               500  stored data (an index file, a database row) fails its checksum
    ├── AuthenticationError            401  no key, or an unknown, expired or revoked key
    ├── PermissionDeniedError          403  the key lacks the scope for this action
    ├── NotFoundError                  404  absent, or not visible to the caller (the two look alike on purpose)
    ├── ConflictError                  409  the request contradicts stored state
    ├── RateLimitedError               429  too many requests
    └── OptionalDependencyError        500  a feature needs an extra that is not installed
"""

from __future__ import annotations

from typing import Any, ClassVar


class SharedhashError(Exception):
    """Root of every error sharedhash raises on purpose."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 500
    default_hint: ClassVar[str] = ""

    def __init__(self, message: str, *, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint if hint is not None else self.default_hint
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """The standard error body: ``{"code", "message", "hint"}`` plus any details."""
        body: dict[str, Any] = {"code": self.code, "message": self.message, "hint": self.hint}
        body.update(self.details)
        return body


class InvalidInputError(SharedhashError):
    """The caller sent something malformed."""

    code = "invalid_input"
    http_status = 400
    default_hint = "Check the request against the documentation."


class InvalidHashError(InvalidInputError):
    """A hash value that is not valid for its hash type."""

    code = "invalid_hash"
    default_hint = "pdq values are 64 hex characters, md5 32, sha1 40, sha256 64."


class UnknownHashTypeError(InvalidInputError):
    """A hash type that is not registered."""

    code = "unknown_hash_type"
    default_hint = "Use one of the registered hash types (`sharedhash hash --help` lists them)."


class LimitExceededError(InvalidInputError):
    """A configured size, count or length limit was exceeded."""

    code = "limit_exceeded"
    http_status = 413
    default_hint = "Split the input into smaller parts, or raise the limit in the settings."


class MediaError(SharedhashError):
    """A file that cannot be hashed."""

    code = "media_error"
    http_status = 422
    default_hint = "Check that the file is a complete image in a supported format."


class EmptyFileError(MediaError):
    """The file has no bytes."""

    code = "empty_file"
    default_hint = "The file is empty: check the upload or copy that produced it."


class UnsupportedMediaError(MediaError):
    """The bytes are not an image format sharedhash decodes."""

    code = "unsupported_media"
    default_hint = "Supported: JPEG, PNG, GIF, WebP, BMP, TIFF; HEIC/AVIF with `pip install sharedhash[heif]`."


class CorruptMediaError(MediaError):
    """The image is truncated or damaged."""

    code = "corrupt_media"
    default_hint = "The file is truncated or damaged: fetch it again from its source."


class ImageTooLargeError(MediaError):
    """More pixels than the configured limit: refused before decoding (decompression-bomb guard)."""

    code = "image_too_large"
    default_hint = "Raise SHAREDHASH_MAX_IMAGE_PIXELS if such images are expected."


class ImageTooSmallError(MediaError):
    """Too few pixels for a perceptual hash to mean anything."""

    code = "image_too_small"
    default_hint = "Perceptual hashes need a real image; cryptographic hashes still work."


class FileAccessError(SharedhashError):
    """A path that does not exist or cannot be read."""

    code = "unreadable_path"
    http_status = 400
    default_hint = "Check that the path exists and that this user may read it."


class CorruptDataError(SharedhashError):
    """Stored data failed its integrity check; nothing was served from it."""

    code = "corrupt_data"
    http_status = 500
    default_hint = "Rebuild the file or restore it from a backup."


class AuthenticationError(SharedhashError):
    """No API key, or one that is unknown, expired or revoked."""

    code = "unauthenticated"
    http_status = 401
    default_hint = "Send a valid key as `Authorization: Bearer <key>`."


class PermissionDeniedError(SharedhashError):
    """The key is valid but lacks the scope for this action."""

    code = "permission_denied"
    http_status = 403
    default_hint = "Ask an org admin for a key with the needed scope."


class NotFoundError(SharedhashError):
    """Absent, or not visible to the caller: the two are indistinguishable on purpose."""

    code = "not_found"
    http_status = 404
    default_hint = "Check the id, and that your org may see it."


class ConflictError(SharedhashError):
    """The request contradicts stored state."""

    code = "conflict"
    http_status = 409
    default_hint = "Reload the current state and retry."


class RateLimitedError(SharedhashError):
    """Too many requests in the current window."""

    code = "rate_limited"
    http_status = 429
    default_hint = "Wait and retry; the Retry-After header says how long."


class OptionalDependencyError(SharedhashError):
    """A feature needs an optional extra that is not installed."""

    code = "missing_extra"
    http_status = 500
    default_hint = "Install the extra named in the message."

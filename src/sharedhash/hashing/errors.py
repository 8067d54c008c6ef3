"""Hashing's own errors, under the branches of the one tree in :mod:`sharedhash.errors`."""

from __future__ import annotations

from sharedhash.errors import LimitExceededError, UnsupportedMediaError


class CodecNotInstalledError(UnsupportedMediaError):
    """An image format that needs an optional codec (HEIC/AVIF) which is not installed."""

    code = "codec_not_installed"
    default_hint = "Install the codec with `pip install 'sharedhash[heif]'`."


class FileTooLargeError(LimitExceededError):
    """A file larger than the configured byte limit for decoding."""

    code = "file_too_large"
    default_hint = "Raise SHAREDHASH_MAX_FILE_BYTES if such files are expected."

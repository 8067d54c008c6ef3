"""Secrets a node must be able to use again (a subscription's remote API key), encrypted at rest.

The encryption key is kept outside the database: ``SHAREDHASH_SECRET_KEY`` (a Fernet key: 32 random bytes,
url-safe base64), or else the file ``secret.key`` in the data folder, created on first use with permissions 0600.
A copy of the database alone does not reveal the remote keys. Values are stored as ``enc1:<Fernet token>``
(AES-128-CBC with an HMAC-SHA256, authenticated); a value without that mark is an older plaintext one, still read
and encrypted the next time it is written.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken

from sharedhash.errors import CorruptDataError, FileAccessError
from sharedhash.settings import Settings, get_settings

MARK = "enc1:"
KEY_FILE = "secret.key"


class SecretKeyError(CorruptDataError):
    """The secret key is missing, malformed, too widely readable, or not the one the values were sealed with."""

    code = "secret_key_error"
    default_hint = (
        "Set SHAREDHASH_SECRET_KEY to the key the values were stored with (or restore secret.key in the data "
        "folder, permissions 0600); otherwise add the subscriptions again."
    )


def _read_key_file(path: Path) -> bytes:
    try:
        mode = path.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretKeyError(f"{path} is readable by other users (mode {stat.S_IMODE(mode):o}); chmod 600 it")
        return path.read_bytes().strip()
    except OSError as exc:
        raise FileAccessError(f"cannot read the secret key file {path}: {exc.strerror}") from None


def load_key(settings: Settings) -> bytes:
    """The configured key, or the data folder's key file (created with 0600 permissions if missing)."""
    if settings.secret_key:
        key = settings.secret_key.strip().encode()
    else:
        path = settings.data_dir / KEY_FILE
        if not path.exists():
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                pass  # another process made it just now
            except OSError as exc:
                raise FileAccessError(f"cannot create the secret key file {path}: {exc.strerror}") from None
            else:
                with os.fdopen(fd, "wb") as f:
                    f.write(Fernet.generate_key() + b"\n")
        key = _read_key_file(path)
    try:
        Fernet(key)
    except ValueError:
        raise SecretKeyError("the secret key is not 32 url-safe base64-encoded bytes") from None
    return key


class SecretBox:
    """Seals and opens short secrets with one key."""

    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> SecretBox:
        """The box for the configured key (see :func:`load_key`)."""
        return cls(load_key(settings or get_settings()))

    def seal(self, plaintext: str) -> str:
        """``plaintext`` encrypted and marked, as stored."""
        return MARK + self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, stored: str) -> str:
        """The plaintext of a stored value (an unmarked value is an older plaintext one, returned as it is)."""
        if not stored.startswith(MARK):
            return stored
        try:
            return self._fernet.decrypt(stored[len(MARK) :].encode()).decode()
        except InvalidToken:
            raise SecretKeyError("a stored secret does not open with the configured secret key") from None

    def seal_bytes(self, data: bytes) -> str:
        """``data`` encrypted and marked, as stored (a reported file's bytes)."""
        return MARK + self._fernet.encrypt(data).decode()

    def open_bytes(self, stored: str) -> bytes:
        """The bytes of a value stored by :meth:`seal_bytes`."""
        if not stored.startswith(MARK):
            raise SecretKeyError("a stored file is not sealed")
        try:
            return self._fernet.decrypt(stored[len(MARK) :].encode())
        except InvalidToken:
            raise SecretKeyError("a stored file does not open with the configured secret key") from None


def is_sealed(stored: str) -> bool:
    """Whether a stored value is encrypted (rather than an older plaintext one)."""
    return stored.startswith(MARK)

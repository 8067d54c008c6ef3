"""API key secrets: generated at random, shown once, stored only as a salted SHA-256, found by a public prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

KEY_MARK = "shk"


@dataclass(frozen=True, slots=True)
class NewSecret:
    """A freshly generated key: ``token`` is shown once; the rest is what the database stores."""

    token: str
    prefix: str
    salt: str
    secret_hash: str


def hash_secret(salt: str, secret: str) -> str:
    """The stored form of a secret. The secret has 256 random bits, so a fast hash is safe (no password KDF)."""
    return hashlib.sha256(f"{salt}:{secret}".encode()).hexdigest()


def new_secret() -> NewSecret:
    """A new key ``shk_<prefix>_<secret>``."""
    prefix = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_hex(16)
    token = f"{KEY_MARK}_{prefix}_{secret}"
    return NewSecret(token=token, prefix=prefix, salt=salt, secret_hash=hash_secret(salt, secret))


def split_token(token: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed token, else None."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_MARK or len(parts[1]) != 16 or not parts[2]:
        return None
    return parts[1], parts[2]


def secret_matches(salt: str, secret: str, stored_hash: str) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(hash_secret(salt, secret), stored_hash)

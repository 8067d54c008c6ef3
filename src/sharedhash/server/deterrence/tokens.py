"""Click tokens: a link id sealed with a random nonce, so every answer carries different, opaque tokens.

Encrypt-then-MAC with HMAC-SHA256 as the pseudo-random function (standard library only): the 8-byte link id is
XORed with HMAC(key, "enc" | nonce), and HMAC(key, "mac" | nonce | ciphertext) authenticates it. A token thus
tells a caller nothing, not even whether two answers came from the same rule, and it cannot be forged.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

_NONCE = 8
_TAG = 12
_TOKEN_BYTES = _NONCE + 8 + _TAG


def _prf(key: bytes, label: bytes, data: bytes) -> bytes:
    return hmac.new(key, label + data, hashlib.sha256).digest()


def seal(key: bytes, link_id: int) -> str:
    """A fresh token for ``link_id``."""
    nonce = secrets.token_bytes(_NONCE)
    plain = link_id.to_bytes(8, "big")
    cipher = bytes(a ^ b for a, b in zip(plain, _prf(key, b"enc", nonce)[:8], strict=True))
    tag = _prf(key, b"mac", nonce + cipher)[:_TAG]
    return base64.urlsafe_b64encode(nonce + cipher + tag).decode("ascii").rstrip("=")


def unseal(key: bytes, token: str) -> int | None:
    """The link id inside a token, or ``None`` for anything that is not a token this key made."""
    if len(token) > 64 or not token.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _TOKEN_BYTES:
        return None
    nonce, cipher, tag = raw[:_NONCE], raw[_NONCE : _NONCE + 8], raw[_NONCE + 8 :]
    if not hmac.compare_digest(tag, _prf(key, b"mac", nonce + cipher)[:_TAG]):
        return None
    plain = bytes(a ^ b for a, b in zip(cipher, _prf(key, b"enc", nonce)[:8], strict=True))
    return int.from_bytes(plain, "big")

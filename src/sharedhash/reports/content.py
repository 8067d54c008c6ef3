"""A reported file's bytes checked against the hashes the report gives for it (cryptographic types only)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

_DIGESTS = {"md5": hashlib.md5, "sha1": hashlib.sha1, "sha256": hashlib.sha256}


def content_mismatches(data: bytes, hashes: Iterable[tuple[str, str]]) -> list[str]:
    """The hash types whose given value is not the hash of ``data`` (perceptual types are not checked)."""
    wrong = []
    for hash_type, value in hashes:
        digest = _DIGESTS.get(hash_type)
        if digest is not None and digest(data, usedforsecurity=False).hexdigest() != value.lower():
            wrong.append(hash_type)
    return wrong


def md5_hex(data: bytes) -> str:
    """The MD5 of ``data`` (what the CyberTipline's upload answer reports, to check the file arrived whole)."""
    return hashlib.md5(data, usedforsecurity=False).hexdigest()

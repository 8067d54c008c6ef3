"""Cryptographic hashes of a file's bytes (md5, sha1, sha256): exact matches only, streamed in chunks."""

from __future__ import annotations

import hashlib
from typing import BinaryIO, ClassVar

from sharedhash.hashing.types.base import ContentKind, HashType, IndexKind

_CHUNK = 1 << 20  # 1 MiB: large enough to amortise the call overhead, small enough never to matter for memory


class _DigestHashType(HashType):
    """A hashlib digest of the whole byte stream, compared for equality."""

    algorithm: ClassVar[str]
    content = frozenset({ContentKind.FILE, ContentKind.IMAGE, ContentKind.VIDEO})
    index_kind = IndexKind.EXACT

    def _distance(self, a: str, b: str) -> int:
        return 0 if a == b else 1

    def hash_stream(self, stream: BinaryIO) -> str:
        digest = hashlib.new(self.algorithm)
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
        return digest.hexdigest()


class Md5HashType(_DigestHashType):
    """MD5 of the file bytes: still the most widely shared exact hash in industry lists."""

    name = "md5"
    algorithm = "md5"
    hex_chars = 32
    examples = ("d41d8cd98f00b204e9800998ecf8427e", "900150983cd24fb0d6963f7d28e17f72")


class Sha1HashType(_DigestHashType):
    """SHA-1 of the file bytes."""

    name = "sha1"
    algorithm = "sha1"
    hex_chars = 40
    examples = ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "a9993e364706816aba3e25717850c26c9cd0d89d")


class Sha256HashType(_DigestHashType):
    """SHA-256 of the file bytes."""

    name = "sha256"
    algorithm = "sha256"
    hex_chars = 64
    examples = (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    )

"""PDQ: Meta's 256-bit perceptual image hash, as 64 lowercase hex characters, compared by Hamming distance."""

from __future__ import annotations

from typing import BinaryIO

from sharedhash.hashing.errors import FileTooLargeError
from sharedhash.hashing.types.base import ContentKind, HashType, IndexKind
from sharedhash.quick_settings import setting


class PdqHashType(HashType):
    """PDQ image hash. Two images match when their hashes are within 31 bits (of 256) by default."""

    name = "pdq"
    content = frozenset({ContentKind.IMAGE})
    max_distance = 256
    # Meta's recommended threshold: ~31 bits keeps false positives negligible on real photo collections.
    default_threshold = 31
    examples = (
        "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22",
        "0000000000000000000000000000000000000000000000000000000000000000",
    )
    hex_chars = 64
    quality_gated = True
    index_kind = IndexKind.HAMMING256
    dihedral = True

    def _distance(self, a: str, b: str) -> int:
        return (int(a, 16) ^ int(b, 16)).bit_count()

    def hash_stream(self, stream: BinaryIO) -> str:
        """PDQ of the image read from ``stream`` (EXIF-oriented, first frame), bit for bit the reference's.

        Use :func:`sharedhash.hashing.hash_media` to get the quality and other hashes from the same decode.
        """
        from sharedhash.hashing.media import hash_media

        limit = setting("max_file_bytes")
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise FileTooLargeError(f"the image is larger than the limit of {limit:,} bytes")
        return hash_media(data, ("pdq",)).hashes["pdq"]

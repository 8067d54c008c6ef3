"""pdqr: PDQ hashes of regions of an image after trimming its uniform borders (crops, padding, overlays)."""

from __future__ import annotations

from typing import BinaryIO

from sharedhash.hashing.errors import FileTooLargeError
from sharedhash.hashing.types.base import ContentKind, HashType, IndexKind
from sharedhash.quick_settings import setting


class PdqrHashType(HashType):
    """Region hashes of an image (:mod:`sharedhash.hashing.regions`): each value is the PDQ of one region of the
    picture (the whole picture with uniform borders trimmed, a centre crop, four corner windows) XOR a fixed mask
    of that region, 64 hex characters compared by Hamming distance like PDQ.

    An image has several values (an entry holds one per region); :meth:`hash_stream` returns the first, the whole
    trimmed picture. A query matches through the evidence rule of :func:`sharedhash.hashing.regions.decide`, not
    through one value: the default threshold (24) is the rule's tight distance for a single value on its own.
    """

    name = "pdqr"
    content = frozenset({ContentKind.IMAGE})
    max_distance = 256
    default_threshold = 24
    examples = (
        "a5b3c8e1f0d2947b6c1e0a3f5d7b9c2e4f6a8b0c1d3e5f7a9b2c4d6e8f0a1b3c",
        "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    )
    hex_chars = 64
    quality_gated = True
    index_kind = IndexKind.HAMMING256
    single_value_distance = 22  # the evidence rule's lone-probe distance (Thresholds.single)

    def _distance(self, a: str, b: str) -> int:
        return (int(a, 16) ^ int(b, 16)).bit_count()

    def hash_stream(self, stream: BinaryIO) -> str:
        """The whole-picture region value of the image read from ``stream`` (its border trimmed).

        :func:`sharedhash.hashing.hash_media` with ``"pdqr"`` gives every region value from one decode.
        """
        from sharedhash.hashing.media import hash_media

        limit = setting("max_file_bytes")
        data = stream.read(limit + 1)
        if len(data) > limit:
            raise FileTooLargeError(f"the image is larger than the limit of {limit:,} bytes")
        media = hash_media(data, ("pdqr",))
        return media.hashes["pdqr"]

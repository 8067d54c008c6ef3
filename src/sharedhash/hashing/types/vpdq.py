"""vPDQ: Meta's video hash, the PDQ hashes of frames sampled once per second, compared by the reference's rule."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import BinaryIO

from sharedhash.hashing.errors import FileTooLargeError
from sharedhash.hashing.types.base import ContentKind, HashType, IndexKind
from sharedhash.hashing.vpdq import MatchRule, canonical, match_videos, parse
from sharedhash.limits import LONG_HASH_VALUE_MAX
from sharedhash.settings import get_settings


class VpdqHashType(HashType):
    """vPDQ video hash. Values are the versioned text of :mod:`sharedhash.hashing.vpdq` (python-threatexchange's
    JSON forms are accepted and canonicalised).

    ``compare(query, listed)`` applies the reference rule (frames of quality >= 50 match at PDQ distance <= 31);
    its distance is ``100 - floor(listed %)``, the share of the listed video's frames that found no match, so the
    default threshold of 20 means "at least 80% of the listed video's frames match".
    """

    name = "vpdq"
    content = frozenset({ContentKind.VIDEO})
    max_distance = 100
    default_threshold = 20
    examples = (
        "vpdq1;0,100,e271017837246aaccddea259648fb7d62f435c89d9e99b2497763e216c8d055c,0.000000;"
        "30,100,c0f11178372c6aaccddea259648fbfd62f434c89c9e99b249772be216c8d055c,1.000000",
        "vpdq1;0,90,0000000000000000000000000000000000000000000000000000000000000000,0.000000",
    )
    quality_gated = True
    index_kind = IndexKind.VPDQ
    max_value_chars = LONG_HASH_VALUE_MAX
    frame_type = "pdq"

    def value_quality(self, value: str) -> int | None:
        """The best frame's quality: a value none of whose frames reaches the minimum cannot match anything."""
        return max(f.quality for f in parse(value).frames)

    def _canonicalise(self, value: str) -> str:
        return canonical(value)

    def _distance(self, a: str, b: str) -> int:
        result = match_videos(parse(a), parse(b), MatchRule(listed_percent=0.0))
        return 100 - math.floor(result.listed_percent + 1e-9)

    def hash_stream(self, stream: BinaryIO) -> str:
        """vPDQ of the video read from ``stream`` (copied to a temporary file that is always deleted)."""
        from sharedhash.hashing.video import hash_video

        limit = get_settings().max_video_bytes
        with tempfile.TemporaryDirectory(prefix="sharedhash-video-") as tmp:
            path = Path(tmp) / "upload"
            with path.open("wb") as out:
                copied = 0
                while chunk := stream.read(1 << 20):
                    copied += len(chunk)
                    if copied > limit:
                        raise FileTooLargeError(f"the video is larger than the limit of {limit:,} bytes")
                    out.write(chunk)
            return hash_video(path, digests=()).vpdq.serialise()

    def hash_path(self, path: Path) -> str:
        """vPDQ of the video at ``path``."""
        from sharedhash.hashing.video import hash_video

        return hash_video(path, digests=()).vpdq.serialise()


__all__ = ["VpdqHashType"]

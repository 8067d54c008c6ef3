"""The interface every hash type implements, built-in or plug-in."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import BinaryIO, ClassVar

from sharedhash.errors import InvalidHashError, InvalidInputError
from sharedhash.limits import HASH_VALUE_MAX


class ContentKind(StrEnum):
    """What a hash type can be computed from."""

    FILE = "file"  # any bytes
    IMAGE = "image"
    VIDEO = "video"
    TEXT = "text"


class IndexKind(StrEnum):
    """Which in-memory index structure serves a hash type (see :func:`sharedhash.index.make_index`)."""

    EXACT = "exact"  # fixed-width hex digests, equality only: sorted binary keys
    HAMMING256 = "hamming256"  # 256-bit values compared by Hamming distance: multi-index range search
    VPDQ = "vpdq"  # videos as lists of frame PDQ hashes: frames in a PDQ index with a frame -> video map
    LINEAR = "linear"  # anything else: brute force through :meth:`HashType.compare`


@dataclass(frozen=True, slots=True)
class Comparison:
    """The outcome of comparing two values of one hash type."""

    match: bool
    distance: int


class HashType(ABC):
    """One hash algorithm: its name, its value format, how to compare and how to compute values.

    Public methods validate their arguments and then call the protected step a subclass overrides,
    so that no subclass can skip canonicalisation or the threshold range check.
    """

    name: ClassVar[str]
    content: ClassVar[frozenset[ContentKind]]
    #: The largest meaningful distance (0 for exact hashes, 256 for PDQ).
    max_distance: ClassVar[int] = 0
    #: The distance at or under which two values match when nobody says otherwise.
    default_threshold: ClassVar[int] = 0
    #: Canonical example values (at least two, distinct), used by the contract test and the docs.
    examples: ClassVar[tuple[str, ...]] = ()

    # Traits: everything the store, the index and the server need to know about a type, declared here so that
    # no code outside this package branches on a type's name.
    #: Canonical values are exactly this many lowercase hex characters (None: another format).
    hex_chars: ClassVar[int | None] = None
    #: Values carry a quality score (0-100), and values under the configured minimum are not contributed.
    quality_gated: ClassVar[bool] = False
    #: The index structure that serves the type.
    index_kind: ClassVar[IndexKind] = IndexKind.LINEAR
    #: Lookups may also try the dihedral variants (rotations, mirrors) of a query value.
    dihedral: ClassVar[bool] = False
    #: The longest canonical value, in characters: the store and the API refuse longer ones (``limits.py``).
    max_value_chars: ClassVar[int] = HASH_VALUE_MAX
    #: The hash type of the frames inside a value (a video type's frames are images' hashes), or None: a hub lookup
    #: then also matches frames against that type's lists, and that type's queries against this type's lists.
    frame_type: ClassVar[str | None] = None
    #: Values that are evidence about a part of an image (region hashes): in a lookup of hash values, one value
    #: matches only within this distance, whatever the list's threshold; a file lookup weighs all of an image's
    #: values together (:func:`sharedhash.hashing.regions.decide`). None: the list's threshold alone.
    single_value_distance: ClassVar[int | None] = None

    def value_quality(self, value: str) -> int | None:
        """The quality a canonical value carries in itself (e.g. a video hash's best frame), or None when it carries
        none; the contribution gate of quality-gated types applies to it as to a stated quality."""
        return None

    def validate(self, value: str) -> str:
        """Return the canonical form of ``value`` or raise :class:`InvalidHashError`."""
        if not isinstance(value, str):
            raise InvalidHashError(f"a {self.name} value must be a string, not {type(value).__name__}")
        return self._canonicalise(value.strip())

    def validate_many(self, values: list[str]) -> list[str]:
        """The canonical form of every value (as :meth:`validate`, which names the bad value on error); hex types
        check a whole batch at once."""
        if self.hex_chars is not None:
            return canonical_hex_many(self, values, self.hex_chars)
        return [self.validate(v) for v in values]

    def compare(self, a: str, b: str, threshold: int | None = None) -> Comparison:
        """Compare two values: their distance, and whether it is within ``threshold``."""
        limit = self.default_threshold if threshold is None else threshold
        if not 0 <= limit <= self.max_distance:
            raise InvalidInputError(
                f"threshold {limit} is out of range for {self.name} (0 to {self.max_distance})",
                hint="Pick a threshold in the range the hash type allows.",
            )
        distance = self._distance(self.validate(a), self.validate(b))
        return Comparison(match=distance <= limit, distance=distance)

    def _canonicalise(self, value: str) -> str:
        """Check a stripped value and return its canonical string (hex types: lowercase, exact width)."""
        if self.hex_chars is None:
            raise NotImplementedError(f"{type(self).__name__} declares no hex_chars and must canonicalise itself")
        return canonical_hex(self.name, value, self.hex_chars)

    @abstractmethod
    def _distance(self, a: str, b: str) -> int:
        """Distance between two canonical values."""

    @abstractmethod
    def hash_stream(self, stream: BinaryIO) -> str:
        """Hash the content read from ``stream`` (which may be a file or an in-memory buffer)."""

    def hash_path(self, path: Path) -> str:
        """Hash the file at ``path``."""
        from sharedhash.hashing.files import open_for_hashing

        with open_for_hashing(path) as stream:
            return self.hash_stream(stream)


_HEX = re.compile(r"[0-9a-f]+")


def canonical_hex(hash_type: str, value: str, hex_chars: int) -> str:
    """Lowercase ``value`` and check it is exactly ``hex_chars`` hexadecimal characters."""
    lowered = value.lower()
    if len(lowered) != hex_chars or not _HEX.fullmatch(lowered):
        shown = value[:8] + ("…" if len(value) > 8 else "")
        raise InvalidHashError(
            f"not a {hash_type} value: expected {hex_chars} hex characters, got {len(value)} ({shown!r})"
        )
    return lowered


def canonical_hex_many(hash_type: HashType, values: list[str], hex_chars: int) -> list[str]:
    """:func:`canonical_hex` of every value, checked as one joined string when all are well formed (a lookup of
    10,000 hashes: one regex match instead of 10,000); otherwise value by value, so the error names the value."""
    if all(type(v) is str and len(v) == hex_chars for v in values):
        joined = "".join(values)
        lowered = joined.lower()
        if _HEX.fullmatch(lowered) or not lowered:
            if lowered == joined:
                return list(values)
            return [lowered[i : i + hex_chars] for i in range(0, len(lowered), hex_chars)]
    return [hash_type.validate(v) for v in values]

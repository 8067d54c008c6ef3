"""Validation of what an entry is made of: hashes (through their hash type's traits), classification, labels,
external id; :class:`HashChecker` is the fast form for bulk paths. No database access."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from sharedhash.errors import InvalidInputError, LimitExceededError, SharedhashError
from sharedhash.hashing import get_hash_type
from sharedhash.hub_errors import (
    DuplicateHashError,
    HashValueTooLongError,
    InvalidClassificationError,
    InvalidTextError,
    LowQualityHashError,
    LowQualityVideoHashError,
)
from sharedhash.limits import MAX_EXTERNAL_ID_CHARS, MAX_HASHES_PER_ENTRY, MAX_LABEL_CHARS, MAX_LABELS, text_problem
from sharedhash.store.models import Classification


class HashValue(NamedTuple):
    """A validated hash of an entry: canonical value, and the PDQ quality when the contributor gave it.

    (A named tuple rather than a frozen dataclass: bulk paths make millions, and this is 3x cheaper to create.)
    """

    hash_type: str
    value: str
    quality: int | None = None


class NewEntry(NamedTuple):
    """A validated entry to add."""

    hashes: tuple[HashValue, ...]
    classification: str | None = None
    labels: tuple[str, ...] = ()
    external_id: str | None = None


def validate_hash(hash_type: str, value: str, quality: int | None = None, *, min_quality: int = 50) -> HashValue:
    """Canonicalise one hash; unknown types, malformed values, values longer than the type allows (its
    ``max_value_chars`` trait) and low-quality values of quality-gated types (the type's ``quality_gated`` trait,
    e.g. PDQ; a stated quality, or the quality the value carries, e.g. a vpdq's best frame) raise."""
    found = get_hash_type(hash_type)
    if len(value) > 2 * found.max_value_chars:  # not even parsed: far over the limit in any accepted form
        raise HashValueTooLongError(f"a {hash_type} value is at most {found.max_value_chars:,} characters")
    canonical = found.validate(value)
    if len(canonical) > found.max_value_chars:
        raise HashValueTooLongError(
            f"a {hash_type} value is at most {found.max_value_chars:,} characters, this one has {len(canonical):,}"
        )
    if found.quality_gated:
        carried = found.value_quality(canonical)
        if carried is not None and carried < min_quality:
            raise LowQualityVideoHashError(
                f"{hash_type} hash {canonical[:8]}… has no frame of quality {min_quality} or more (best {carried})"
            )
    if quality is not None:
        if not 0 <= quality <= 100:
            raise InvalidInputError(f"quality {quality} is out of range (0 to 100)")
        if found.quality_gated and quality < min_quality:
            raise LowQualityHashError(f"{hash_type} hash {canonical[:8]}… has quality {quality}, under {min_quality}")
    return HashValue(hash_type=hash_type, value=canonical, quality=quality)


_LOWER_HEX = re.compile(r"[0-9a-f]+")


def _hex_width(hash_type: str) -> int | None:
    """A hex hash type's canonical width (its ``hex_chars`` trait; None for other formats and unknown types)."""
    try:
        return get_hash_type(hash_type).hex_chars
    except SharedhashError:
        return None


def _quality_gated(hash_type: str) -> bool:
    try:
        return get_hash_type(hash_type).quality_gated
    except SharedhashError:
        return False


class HashChecker:
    """:func:`validate_hash` for bulk paths: a value already in canonical form (lowercase hex of the right
    length, the common case) is accepted after one regex match; anything else takes the full path."""

    def __init__(self, min_quality: int = 50) -> None:
        self.min_quality = min_quality
        self._widths: dict[str, int | None] = {}
        self._gated: dict[str, bool] = {}

    def __call__(self, hash_type: str, value: str, quality: int | None = None) -> HashValue:
        """The validated hash, or the error :func:`validate_hash` raises."""
        width = self._widths.get(hash_type, -1)
        if width == -1:
            width = self._widths[hash_type] = _hex_width(hash_type)
        if (
            width is not None
            and len(value) == width
            and _LOWER_HEX.fullmatch(value) is not None
            and (quality is None or 0 <= quality <= 100 and (quality >= self.min_quality or not self._gate(hash_type)))
        ):
            return HashValue(hash_type, value, quality)
        return validate_hash(hash_type, value, quality, min_quality=self.min_quality)

    def _gate(self, hash_type: str) -> bool:
        gated = self._gated.get(hash_type)
        if gated is None:
            gated = self._gated[hash_type] = _quality_gated(hash_type)
        return gated


def check_text(value: str, what: str) -> str:
    """``value`` unchanged, unless it is text the hub may not store (:func:`sharedhash.limits.text_problem`: a lone
    surrogate, a NUL character, not NFC), the store's own check behind the API's (imports and the CLI come here)."""
    problem = text_problem(value)
    if problem is not None:
        raise InvalidTextError(f"{what}: {problem}")
    return value


def validate_classification(value: str | None) -> str | None:
    """A classification name, or None for "none" / empty."""
    if value is None or value in ("", "none"):
        return None
    if value in _CLASSIFICATIONS:
        return value
    try:
        return Classification(value).value
    except ValueError:
        raise InvalidClassificationError(f"unknown classification {value!r}") from None


_CLASSIFICATIONS = frozenset(c.value for c in Classification)


def validate_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """Free labels: trimmed, non-empty, unique, bounded in count and length; order kept."""
    given = tuple(labels)
    if not given:
        return ()
    if all(type(label) is str for label in given):
        return _validate_label_strings(given)  # bulk paths repeat the same few label sets: cached
    return _validate_labels(given)


@functools.lru_cache(maxsize=4096)
def _validate_label_strings(labels: tuple[str, ...]) -> tuple[str, ...]:
    return _validate_labels(labels)


def _validate_labels(labels: tuple[Any, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for label in labels:
        if not isinstance(label, str):
            raise InvalidInputError("labels are strings")
        text = check_text(label.strip(), "a label")
        if not text:
            continue
        if len(text) > MAX_LABEL_CHARS:
            raise LimitExceededError(f"a label is at most {MAX_LABEL_CHARS} characters")
        if text not in out:
            out.append(text)
    if len(out) > MAX_LABELS:
        raise LimitExceededError(f"an entry has at most {MAX_LABELS} labels")
    return tuple(out)


def validate_external_id(value: str | None) -> str | None:
    """An optional external id (the contributor's own reference), at most 200 characters."""
    if value is None or value.strip() == "":
        return None
    if len(value) > MAX_EXTERNAL_ID_CHARS:
        raise LimitExceededError(f"an external id is at most {MAX_EXTERNAL_ID_CHARS} characters")
    return check_text(value.strip(), "the external id")


def validate_entry(
    hashes: Iterable[HashValue],
    classification: str | None = None,
    labels: Iterable[str] = (),
    external_id: str | None = None,
) -> NewEntry:
    """Check an entry as a whole: 1 to 32 hashes, none twice."""
    hash_tuple = tuple(hashes)
    count = len(hash_tuple)
    if not count:
        raise InvalidInputError("an entry needs at least one hash")
    if count > MAX_HASHES_PER_ENTRY:
        raise LimitExceededError(f"an entry has at most {MAX_HASHES_PER_ENTRY} hashes")
    if count > 1 and len({(h.hash_type, h.value) for h in hash_tuple}) != count:
        raise DuplicateHashError("the same hash appears twice in one entry")
    return NewEntry(
        hashes=hash_tuple,
        classification=validate_classification(classification),
        labels=validate_labels(labels),
        external_id=validate_external_id(external_id),
    )

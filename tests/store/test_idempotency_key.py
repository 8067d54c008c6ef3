"""A check's idempotency key keeps its value: stored checks are found by it, so the one-call form of the key must
give exactly what the digest fed hash by hash gave, for any content id and any shape of hashes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import pytest

from sharedhash.store import checks as store
from tests.support.store import md5, pdq


def _reference(content_id: str, hashes: Iterable[tuple[str, str]]) -> str:
    """The key as it was first written (one digest update per hash)."""
    digest = hashlib.sha256(content_id.encode())
    pairs = hashes if isinstance(hashes, list) and len(hashes) == 1 else sorted(set(hashes))
    for hash_type, value in pairs:
        digest.update(b"\n" + hash_type.encode() + b":" + value.encode())
    return digest.hexdigest()


_CONTENT_IDS = [
    "zorblax-1",
    "",
    "a,b",
    "line\nbreak",
    "colon:pdq:value",
    "tab\tand\x00nul",
    "ünïcødé-ß-文字-🙂",
    "x" * 2000,
]

_HASH_SHAPES: list[list[tuple[str, str]]] = [
    [],
    [("pdq", pdq(1))],
    [("md5", md5(2))],
    [("pdq", pdq(3)), ("md5", md5(3))],
    [("md5", md5(3)), ("pdq", pdq(3))],  # another order: the same key
    [("pdq", pdq(4)), ("pdq", pdq(4))],  # a repeated hash counts once
    [("pdq", pdq(5)), ("pdq", pdq(6)), ("md5", md5(5)), ("pdq", pdq(5))],
    [("tmk", "ab" * 10), ("vendor-x", "zorblax:ünï\n")],
]


@pytest.mark.parametrize("content_id", _CONTENT_IDS)
@pytest.mark.parametrize("shape", range(len(_HASH_SHAPES)))
def test_key_equals_the_reference_form(content_id: str, shape: int) -> None:
    hashes = _HASH_SHAPES[shape]
    expected = _reference(content_id, hashes)
    assert store.idempotency_key(content_id, hashes) == expected
    # Any iterable of the pairs, not only a list, gives the same key.
    assert store.idempotency_key(content_id, tuple(hashes)) == expected
    assert store.idempotency_key(content_id, iter(hashes)) == expected


def test_key_value_is_fixed() -> None:
    """A known key, written out: a change to the key's form is caught even if the reference above changed too."""
    key = store.idempotency_key("zorblax-1", [("pdq", "0" * 64)])
    assert key == hashlib.sha256(("zorblax-1\npdq:" + "0" * 64).encode()).hexdigest()
    assert store.idempotency_key("zorblax-1", [("pdq", "0" * 64), ("md5", "f" * 32)]) == (
        hashlib.sha256(("zorblax-1\nmd5:" + "f" * 32 + "\npdq:" + "0" * 64).encode()).hexdigest()
    )


def test_unencodable_content_id_still_fails() -> None:
    """A lone surrogate cannot be encoded: an error, as before, for one hash or several."""
    with pytest.raises(UnicodeEncodeError):
        store.idempotency_key("\ud800", [("pdq", pdq(1))])
    with pytest.raises(UnicodeEncodeError):
        store.idempotency_key("\ud800", [("pdq", pdq(1)), ("md5", md5(1))])

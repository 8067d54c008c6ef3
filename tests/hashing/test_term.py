"""The ``term`` hash type: a deterrence rule as a hash value, registered like every other hash type."""

from __future__ import annotations

import io

import pytest

from sharedhash.errors import InvalidHashError, InvalidInputError
from sharedhash.hashing import ContentKind, get_hash_type, hash_type_names


def test_registered_through_the_entry_point() -> None:
    assert "term" in hash_type_names()
    term = get_hash_type("term")
    assert term.content == frozenset({ContentKind.TEXT})
    assert (term.max_distance, term.default_threshold) == (0, 0)


def test_examples_are_canonical() -> None:
    term = get_hash_type("term")
    for example in term.examples:
        assert term.validate(example) == example


def test_validate_canonicalises_either_form() -> None:
    term = get_hash_type("term")
    canonical = term.validate("  term zorblax severity=high category=placeholder ")
    assert canonical == term.examples[0]
    assert term.validate('{"text": "zorblax", "kind": "term", "category": "placeholder", "severity": "high"}') == (
        canonical
    )


@pytest.mark.parametrize("value", ["", "term", "ban zorblax", '{"kind": "term", "text": ""}', "term zorblax x=1"])
def test_invalid_rules_are_invalid_hashes(value: str) -> None:
    with pytest.raises(InvalidHashError):
        get_hash_type("term").validate(value)


def test_compare_is_exact_equality_of_rules() -> None:
    term = get_hash_type("term")
    assert term.compare("term zorblax", '{"kind":"term","text":"zorblax"}').match
    different = term.compare("term zorblax", "term quuxvid")
    assert (different.match, different.distance) == (False, 1)
    with pytest.raises(InvalidInputError):
        term.compare("term zorblax", "term zorblax", threshold=1)


def test_terms_are_not_computed_from_media() -> None:
    with pytest.raises(InvalidInputError, match="not computed from media"):
        get_hash_type("term").hash_stream(io.BytesIO(b"zorblax"))

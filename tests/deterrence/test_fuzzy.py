"""The fuzzy look-up: the C kernel answers exactly what the Python code answers, and both what brute force does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharedhash.deterrence import fuzzy
from sharedhash.deterrence.fuzzy import DeletionIndex, allowed_edits, edit_distance

needs_kernel = pytest.mark.skipif(fuzzy.NATIVE is None, reason="the C kernel was not built")

# A small alphabet (with one non-ASCII letter) makes near words, and so hits, likely.
_words = st.text(alphabet="abcdeé", min_size=1, max_size=14)


def _brute_force(words: list[str], candidate: str) -> set[tuple[int, int]]:
    out = set()
    for ident, word in enumerate(words):
        limit = allowed_edits(len(word))
        distance = edit_distance(candidate, word, limit)
        if word != candidate and distance <= limit:
            out.add((ident, distance))
    return out


def _index(words: list[str], native: bool) -> DeletionIndex:
    index = DeletionIndex(native=native)
    for word in words:
        index.add(word)
    return index


@needs_kernel
@settings(max_examples=150, deadline=None)
@given(words=st.lists(_words, min_size=1, max_size=30, unique=True), candidates=st.lists(_words, max_size=20))
def test_kernel_and_python_agree_with_brute_force(words: list[str], candidates: list[str]) -> None:
    native, python = _index(words, True), _index(words, False)
    for candidate in candidates + [w[:-1] + "x" for w in words] + [w[1:] for w in words]:
        expected = _brute_force(words, candidate) if candidate else set()
        n = len(candidate)
        if n < fuzzy.ONE_EDIT_FROM - 1 or n > python.max_length + 2:
            expected = set()  # too short or too long to be within any allowance: not looked up
        assert set(python.lookup(candidate)) == expected
        assert set(native.lookup(candidate)) == expected


@needs_kernel
def test_kernel_handles_swaps_and_long_words() -> None:
    words = ["zorblaxquuxvid", "plimmerbolt", "quuxvid"]
    index = _index(words, True)
    assert set(index.lookup("zorblaxquxuvid")) == {(0, 1)}  # a swap of neighbours is one edit
    assert set(index.lookup("zorbaxquuxvd")) == {(0, 2)}
    assert set(index.lookup("qiuxvid")) == {(2, 1)}
    assert set(index.lookup("plimmerbolt")) == set()  # the word itself is an exact match, not a fuzzy one
    assert index.lookup("x" * 300) == ()


@needs_kernel
def test_words_added_after_a_look_up_are_found() -> None:
    index = _index(["zorblax"], True)
    assert set(index.lookup("zorblqx")) == {(0, 1)}
    index.add("quuxvid")
    assert set(index.lookup("quuxvud")) == {(1, 1)}


def test_asking_for_a_missing_kernel_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuzzy, "NATIVE", None)
    with pytest.raises(RuntimeError, match="_fuzzykernel was not built"):
        DeletionIndex(native=True)
    assert not DeletionIndex().native

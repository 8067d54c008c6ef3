"""The fuzzy look-up: the C kernel answers exactly what the Python code answers, and both what brute force does."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharedhash.deterrence import Matcher, TermList, fuzzy
from sharedhash.deterrence.fuzzy import DeletionIndex, allowed_edits, deletions, edit_distance, lookup_depth
from sharedhash.deterrence.lexicon import build_lexicon
from sharedhash.deterrence.normalise import normalise

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
        # The same hits in the same order (fewest edits first, then by id), so the first hit per rule agrees.
        assert list(native.lookup(candidate)) == list(python.lookup(candidate))
        assert list(python.lookup(candidate)) == sorted(expected, key=lambda hit: (hit[1], hit[0]))


@needs_kernel
def test_kernel_handles_swaps_and_long_words() -> None:
    words = ["zorblaxquuxvid", "plimmerbolt", "quuxvid"]
    index = _index(words, True)
    assert set(index.lookup("zorblaxquxuvid")) == {(0, 1)}  # a swap of neighbours is one edit
    assert set(index.lookup("zorbaxquuxvd")) == {(0, 2)}
    assert set(index.lookup("qiuxvid")) == {(2, 1)}
    assert set(index.lookup("plimmerbolt")) == set()  # the word itself is an exact match, not a fuzzy one
    assert index.lookup("x" * 300) == ()


def _damerau_levenshtein(a: str, b: str) -> int:
    """The unrestricted Damerau-Levenshtein distance (Lowrance and Wagner's algorithm), for reference."""
    big = len(a) + len(b)
    d = [[big] * (len(b) + 2) for _ in range(len(a) + 2)]
    for i in range(len(a) + 1):
        d[i + 1][0], d[i + 1][1] = big, i
    for j in range(len(b) + 1):
        d[0][j + 1], d[1][j + 1] = big, j
    last_row: dict[str, int] = {}
    for i in range(1, len(a) + 1):
        last_col = 0
        for j in range(1, len(b) + 1):
            k, col = last_row.get(b[j - 1], 0), last_col
            cost = 0 if a[i - 1] == b[j - 1] else 1
            if not cost:
                last_col = j
            d[i + 1][j + 1] = min(d[i][j] + cost, d[i + 1][j] + 1, d[i][j + 1] + 1,
                                  d[k][col] + (i - k - 1) + 1 + (j - col - 1))  # fmt: skip
        last_row[a[i - 1]] = i
    return d[len(a) + 1][len(b) + 1]


@settings(max_examples=300, deadline=None)
@given(a=_words, b=_words)
def test_the_edit_distance_is_damerau_levenshtein_up_to_two_edits(a: str, b: str) -> None:
    # Two slips one after the other: a swap with a letter inserted or left out between is two edits, not three.
    true = _damerau_levenshtein(a, b)
    for limit in (0, 1, 2):
        assert edit_distance(a, b, limit) == min(true, limit + 1)
    assert edit_distance(a, b, 2, spanning=False) >= edit_distance(a, b, 2)


@needs_kernel
def test_a_swap_across_an_inserted_letter_is_two_edits_in_both_look_ups() -> None:
    words = ["zorbaxquvidmer"]
    assert edit_distance("zorbaxqvtuidmer", words[0], 2, spanning=False) == 3  # optimal string alignment
    for native in (True, False):
        index = _index(words, native)
        assert set(index.lookup("zorbaxqvtuidmer")) == {(0, 2)}  # "uv" swapped, "t" typed between
        assert set(index.lookup("zorbaxvqidmer")) == {(0, 2)}  # "qu" swapped across a "u" left out
    matcher = Matcher(TermList.from_lines(["term zorbaxquvidmer"]), lexicon=build_lexicon(["video", "free"]))
    assert matcher.check("free zorbaxqvtuidmer video").deter


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


@settings(max_examples=200, deadline=None)
@given(word=_words, candidate=_words)
def test_a_candidate_needs_only_its_own_lengths_allowance_of_deletions(word: str, candidate: str) -> None:
    # The look-up depth (see lookup_depth): any word within its allowance of the candidate shares a string with
    # it reached by at most lookup_depth(len(candidate)) deletions of the candidate.
    limit = allowed_edits(len(word))
    if word != candidate and edit_distance(candidate, word, limit) <= limit:
        assert deletions(candidate, lookup_depth(len(candidate))) & deletions(word, limit)


# Rules and queries over a small alphabet, so that fuzzy, joined, glued and near matches are all frequent.
_syllables = ["zor", "blax", "quu", "xvid", "plim", "mer", "bolt", "vid", "eo", "free"]
_rule_words = st.lists(st.sampled_from(_syllables), min_size=2, max_size=4).map("".join)
_query_words = st.lists(st.sampled_from([*_syllables, "zz", "q", "0"]), min_size=1, max_size=4).map("".join)


@needs_kernel
@settings(max_examples=120, deadline=None)
@given(
    rule_words=st.lists(_rule_words, min_size=1, max_size=12, unique=True),
    queries=st.lists(st.lists(_query_words, min_size=1, max_size=5).map(" ".join), min_size=1, max_size=12),
)
def test_one_kernel_scan_per_query_answers_as_the_python_look_ups(rule_words: list[str], queries: list[str]) -> None:
    lines = [f"term {w}" for w in rule_words] + [f"near {rule_words[0]} {rule_words[-1]} within=2"]
    lexicon = build_lexicon(["free", "video", "vid", "eo", "mer", "bolt"])
    native = Matcher(TermList.from_lines(lines), lexicon=lexicon)
    python = Matcher(TermList.from_lines(lines), lexicon=lexicon)
    python._fuzzy.native = False
    cached = Matcher(TermList.from_lines(lines), lexicon=lexicon, fuzzy_cache=8)
    assert native._fuzzy.kernel() is not None
    assert python._fuzzy.kernel() is None
    assert cached._fuzzy.kernel() is None
    for query in queries:
        assert native.check(query) == python.check(query) == cached.check(query)


@given(st.lists(_words, min_size=1, max_size=6, unique=True), st.lists(_words, max_size=30))
@settings(max_examples=80, deadline=None)
def test_neighbourhood_sizes_native_python_and_brute_force_agree(words: list[str], others: list[str]) -> None:
    expected = [sum(1 for o in others if o != w and edit_distance(o, w, 2, spanning=False) <= 2) for w in words]
    native = fuzzy.NATIVE
    try:
        fuzzy.NATIVE = None
        assert fuzzy.neighbourhood_sizes(words, others) == expected
    finally:
        fuzzy.NATIVE = native
    if native is not None:
        assert fuzzy.neighbourhood_sizes(words, others) == expected


# Long query words glued from rule-like syllables and common words, with doubled letters, so that glued candidates
# (beginnings and ends of a long word that is no ordinary word) and their look-ups are frequent.
_glue_syllables = ["zor", "blax", "quu", "xvid", "plim", "mer", "bolt", "video", "free", "garden", "zz", "oo", "q"]
_long_words = st.lists(st.sampled_from(_glue_syllables), min_size=1, max_size=6).map("".join)


@needs_kernel
@settings(max_examples=150, deadline=None)
@given(
    rule_words=st.lists(_rule_words, min_size=1, max_size=12, unique=True),
    queries=st.lists(st.lists(_long_words, min_size=1, max_size=4).map(" ".join), min_size=1, max_size=12),
    empty_lexicon=st.booleans(),
)
def test_one_kernel_call_gives_every_hit_in_the_reference_order(
    rule_words: list[str], queries: list[str], empty_lexicon: bool
) -> None:
    # The kernel's hits (whole-word runs and glued candidates, with Lexicon.ordinary) equal the hits of the
    # kernel's scan plus the glued candidates worked out in Python, hit for hit and in the same order.
    lines = [f"term {w}" for w in rule_words]
    lexicon = build_lexicon([] if empty_lexicon else ["free", "video", "garden", "mer", "bolt", "gardenvideo"])
    matcher = Matcher(TermList.from_lines(lines), lexicon=lexicon)
    kernel = matcher._fuzzy.kernel()
    assert kernel is not None
    for query in queries:
        text = normalise(query)
        expected = list(matcher._fuzzy_hits_scan(text, {}, kernel))
        assert matcher._fuzzy_hits(text, {}) == expected
        python = Matcher(TermList.from_lines(lines), lexicon=lexicon)
        python._fuzzy.native = False
        assert python.check(query) == matcher.check(query)


@needs_kernel
def test_one_kernel_call_finds_a_misspelt_term_glued_to_a_word() -> None:
    matcher = Matcher(TermList.from_lines(["term zorblaxquu"]), lexicon=build_lexicon(["video", "garden"]))
    text = normalise("zorblqxquuvideo")
    hits = list(matcher._fuzzy_hits(text, {}))
    assert hits == list(matcher._fuzzy_hits_scan(text, {}, matcher._fuzzy.kernel()))
    assert ("zorbiqxqu", 0, 0, False, 0, 1) in hits  # the skeleton's beginning, glued to "video"
    assert matcher.check("zorblqxquuvideo").deter


@needs_kernel
def test_one_kernel_call_rejects_bad_arguments_clearly() -> None:
    matcher = Matcher(TermList.from_lines(["term zorblaxquu"]), lexicon=build_lexicon(["video"]))
    kernel = matcher._fuzzy.kernel()
    text = normalise("zorblqx video")
    good = [text.tokens, text.despaced, text.starts, text.ends, text.uncollapsed, frozenset(), frozenset(),
            frozenset(), frozenset(), frozenset(), True, 3, 20, 4, 20, 5, 9, 7, 9, 7, 2, 4, 5, 3]  # fmt: skip
    assert kernel.hits(*good) == []
    with pytest.raises(TypeError, match="sets or frozensets"):
        kernel.hits(*good[:5], ["video"], *good[6:])
    with pytest.raises(ValueError, match="differ in length"):
        kernel.hits(text.tokens[:1], *good[1:])
    with pytest.raises(ValueError, match=">= 1"):
        kernel.hits(*good[:-3], 0, 5, 3)


@needs_kernel
@settings(max_examples=100, deadline=None)
@given(members=st.sets(_words, max_size=200), others=st.lists(_words, max_size=50))
def test_the_kernels_set_filter_never_loses_a_member(members: set[str], others: list[str]) -> None:
    # A Bloom filter: every member may be in it; a string it rules out is no member.
    assert fuzzy.NATIVE is not None
    kept = fuzzy.NATIVE.Filter(frozenset(members))
    assert all(kept.maybe(word) for word in members)
    assert not any(word in members for word in others if not kept.maybe(word))


@needs_kernel
def test_the_kernels_set_filter_keeps_everything_for_a_set_of_other_things() -> None:
    assert fuzzy.NATIVE is not None
    assert fuzzy.NATIVE.Filter(frozenset({1, "zorblax"})).maybe("quuxvid")
    assert not fuzzy.NATIVE.Filter(frozenset()).maybe("quuxvid")
    with pytest.raises(TypeError, match="set or frozenset"):
        fuzzy.NATIVE.Filter(["zorblax"])

"""The compiled matcher: which rule fired and why, for every rule kind, and never on benign words."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharedhash.deterrence import Matcher, MatchHow, QueryNote, TermList, normalise
from sharedhash.deterrence.explain import explain
from sharedhash.deterrence.lexicon import Lexicon, build_lexicon, lexicon_from_file, load_lexicon
from sharedhash.deterrence.matcher import DENSE_NEIGHBOURHOOD
from sharedhash.deterrence.variants import TRANSFORMS
from sharedhash.errors import FileAccessError
from tests.support.deterrence import BENIGN_WORDS


def fired(matcher: Matcher, query: str | bytes) -> list[str]:
    return [m.rule.texts[0] for m in matcher.check(query).matches]


@pytest.mark.parametrize(
    ("query", "how"),
    [
        ("zorblax", MatchHow.WORD),
        ("Z.0.R.B.L.@.X pics", MatchHow.WORD),
        ("watch zor blax", MatchHow.JOINED),
        ("zorblaxvideo", MatchHow.INSIDE_WORD),
        ("zorblqx", MatchHow.FUZZY),
        ("zorlbax", MatchHow.FUZZY),  # a swap of neighbours is one edit
    ],
)
def test_term_fires_and_says_how(matcher: Matcher, query: str, how: MatchHow) -> None:
    result = matcher.check(query)
    assert result.deter
    assert result.top is not None
    assert result.top.rule.texts == ("zorblax",)
    assert result.top.how is how
    explanation = result.top.explain()
    assert result.top.rule.rule_id in explanation
    assert how.value in explanation


def test_phrase_with_digits(matcher: Matcher) -> None:
    for query in ("plimmerbolt 9", "plimmerbolt9", "p l i m m e r b o l t 9", "plimmer-bolt 9"):
        assert fired(matcher, query) == ["plimmerbolt 9"], query


def test_fuzzy_needs_six_letters(matcher: Matcher) -> None:
    assert fired(matcher, "quuxvyd") == ["quuxvid"]  # skeleton "quxvid": 6 letters, one edit allowed
    assert not matcher.check("qiz").deter  # "qix" is too short for any edit
    assert fired(matcher, "qix") == ["qix"]


def test_two_edits_from_ten_letters(matcher: Matcher) -> None:
    assert fired(matcher, "glimmerwoxen") == ["glimmerwoxen"]
    assert fired(matcher, "glimerwoxan") == ["glimmerwoxen"]  # a double letter typed once, a letter replaced
    assert fired(matcher, "glimmmerwoxxan") == ["glimmerwoxen"]  # a deliberate repeat: repeats are free
    assert not matcher.check("glimerwoxxan").deter  # undoubled, doubled and replaced: three slips as typed
    assert not matcher.check("glamorwaxon").deter  # three edits


def test_short_terms_match_only_whole_words(matcher: Matcher) -> None:
    assert not matcher.check("quixotic").deter
    assert fired(matcher, "q i x") == ["qix"]


def test_near_rule_within_the_distance(matcher: Matcher) -> None:
    assert fired(matcher, "frobnitz wuggle") == ["frobnitz"]
    assert fired(matcher, "wuggle and frobnitz") == ["frobnitz"]
    top = matcher.check("frobnitz red green wuggle").top
    assert top is None or top.rule.texts[0] != "frobnitz"
    assert not matcher.check("frobnitz alone").deter
    near = matcher.check("frobnitz wuggle").top
    assert near is not None
    assert near.how is MatchHow.NEAR


def test_allow_phrase_suppresses_only_inside_it(matcher: Matcher) -> None:
    allowed = matcher.check("the zorblax museum opening hours")
    assert not allowed.deter
    assert [m.rule.texts[0] for m in allowed.suppressed] == ["zorblax"]
    assert matcher.check("zorblax museum and zorblax").deter


def test_matches_are_sorted_by_severity(matcher: Matcher) -> None:
    result = matcher.check("quuxvid zorblax")
    assert [m.rule.severity.value for m in result.matches] == ["high", "low"]


def test_one_match_per_rule(matcher: Matcher) -> None:
    assert fired(matcher, "zorblax zorblax z0rblax") == ["zorblax"]


@pytest.mark.parametrize("query", ["", "    ", "\x00\x01\x02", b"\xff\xfe\xfd", "\udcff", "🙂" * 50])
def test_bad_input_gets_a_clean_answer(matcher: Matcher, query: str | bytes) -> None:
    result = matcher.check(query)
    assert not result.deter
    assert result.to_dict()["deter"] is False


def test_huge_query_is_checked_on_its_beginning(term_list: TermList) -> None:
    small = Matcher(term_list, max_query_chars=50, lexicon=Lexicon())
    result = small.check("zorblax " + "benign " * 10_000)
    assert result.deter
    assert QueryNote.TRUNCATED in result.notes


def test_binary_query_with_a_term_inside(matcher: Matcher) -> None:
    result = matcher.check(b"\x00\x01zorblax\xff\x02")
    assert result.deter
    assert {QueryNote.INVALID_UNICODE, QueryNote.CONTROL_CHARACTERS} <= set(result.notes)


def test_lexicon_stops_fuzzy_matches_on_ordinary_words(term_list: TermList, lexicon_matcher: Matcher) -> None:
    plain = Matcher(TermList.from_lines(["term globaz"]), lexicon=Lexicon())
    assert plain.check("global").deter  # one edit away
    guarded = Matcher(TermList.from_lines(["term globaz"]), lexicon=build_lexicon(["global"]))
    assert not guarded.check("global").deter
    assert guarded.check("globaz").deter  # exact matches are never suppressed
    assert guarded.check("glbaz").deter  # a misspelling that is no ordinary word still counts
    assert fired(lexicon_matcher, "glimmerwoxinvideo") == ["glimmerwoxen"]  # misspelt and glued to a common word


def test_no_rules() -> None:
    assert not Matcher([]).check("zorblax").deter


def test_benign_words_and_pairs_do_not_fire(lexicon_matcher: Matcher) -> None:
    rng = random.Random(1)
    queries = list(BENIGN_WORDS) + [" ".join(rng.sample(BENIGN_WORDS, 3)) for _ in range(2000)]
    assert [q for q in queries if lexicon_matcher.check(q).deter] == []


# Transformations that must always be caught on their own or combined (misspellings are tested above, and the
# benchmark measures every combination).
_SAFE = ["case", "leet", "lookalike", "fullwidth", "math_letters", "zero_width", "diacritics", "separators", "repeat"]


@settings(max_examples=80, deadline=None)
@given(
    word=st.sampled_from(["zorblax", "quuxvid", "glimmerwoxen", "plimmerbolt 9"]),
    names=st.lists(st.sampled_from(_SAFE), min_size=1, max_size=4, unique=True),
    seed=st.integers(0, 10_000),
    context=st.sampled_from(["", "watch ", "free "]),
)
def test_any_obfuscation_of_a_term_is_caught(matcher: Matcher, word: str, names: list[str], seed: int,
                                            context: str) -> None:  # fmt: skip
    rng = random.Random(seed)
    if len(set(names) & {"leet", "lookalike", "fullwidth", "math_letters"}) > 1:
        names = [n for n in names if n not in {"fullwidth", "math_letters"}] or ["case"]
    query = word
    for name in [n for n in TRANSFORMS if n in names]:
        query = TRANSFORMS[name](query, rng)
    assert word in fired(matcher, context + query), (query, names)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="abcdefghijklmnop ", min_size=2, max_size=10), min_size=1, max_size=6))
def test_exact_whole_word_matches_agree_with_a_linear_scan(words: list[str]) -> None:
    rules = TermList.from_lines(["term ponmlk", "term abcd", "term fedcba gh"])
    query = " ".join(words)
    text = normalise(query)
    expected = {
        r.texts[0]
        for r in rules
        if any(
            text.despaced[text.starts[i] : text.ends[j]] == normalise(r.texts[0]).despaced
            for i in range(len(text.tokens))
            for j in range(i, len(text.tokens))
        )
    }
    got = {
        m.rule.texts[0]
        for m in Matcher(rules, lexicon=Lexicon()).check(query).matches
        if m.how in (MatchHow.WORD, MatchHow.JOINED)
    }
    assert got == expected


def test_lexicon_from_a_word_list_file(tmp_path: Path) -> None:
    path = tmp_path / "words"
    path.write_text("global\nGarden\n", encoding="utf-8")
    lexicon = lexicon_from_file(path)
    assert "giobai" in lexicon
    assert "garden" in lexicon
    assert len(load_lexicon(str(path))) == 2
    assert not load_lexicon("none")
    assert len(load_lexicon(None)) > 600_000  # the shipped default
    with pytest.raises(FileAccessError):
        lexicon_from_file(tmp_path / "absent")


def test_fuzzy_cache_gives_the_same_answers(term_list: TermList, matcher: Matcher) -> None:
    cached = Matcher(term_list, fuzzy_cache=2, lexicon=Lexicon())
    for query in ["zorblqx", "zorblqx", "glimerwoxxan", "quuxvyd", "zorblqx", "garden"]:
        assert cached.check(query) == matcher.check(query)


def test_plain_misspelling_of_a_rule_among_many_lexicon_words_does_not_count() -> None:
    # Invented words two letters from the rule's skeleton ("zorbiax"): a dense neighbourhood of the lexicon.
    neighbours = [f"z{a}{b}biax" for a in "aeiuy" for b in "mnpst" if (a, b) != ("o", "r")]
    neighbours += [f"zo{b}b{a}ax" for a in "aeouy" for b in "mnpst"]
    assert len(neighbours) >= DENSE_NEIGHBOURHOOD
    rules = TermList.from_lines(["term zorblax"])
    sparse = Matcher(rules, lexicon=build_lexicon(["global"]))
    dense = Matcher(rules, lexicon=build_lexicon(neighbours))
    assert sparse.check("zorblqx").deter  # typed without disguise, one edit from a rule in a sparse neighbourhood
    # The same in a dense one, and one edit from a lexicon word ("zombeax") itself: more often a rare word than the
    # rule.
    assert sparse.check("zomblax").deter
    assert not dense.check("zomblax").deter
    # The query word's skeleton is what lies next to a lexicon word: repeated letters kept do not take it away.
    doubled = Matcher(TermList.from_lines(["term zoorblax"]), lexicon=build_lexicon(neighbours))
    assert not doubled.check("zoomblax").deter
    assert doubled.check("zoorblqx").deter
    # A slip that took it away from every lexicon word is no rare form of one: still the rule misspelt.
    assert dense.check("zorblqx").deter
    assert dense.check("zorblax").deter  # exact matches always count
    assert dense.check("zоrblqx").deter  # so do misspellings with evidence of disguise (a Cyrillic о)
    why = explain(dense, "zomblax", rule=dense.rules[0]).to_dict()
    assert "within 2 edits" in str(why)

"""The lexicon: word formation, the shipped default data file, and how the matcher uses them."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharedhash.deterrence import Matcher, MatchHow, TermList, normalise
from sharedhash.deterrence import lexicon as lexicon_module
from sharedhash.deterrence.errors import LexiconFileError
from sharedhash.deterrence.lexicon import (
    Lexicon,
    build_lexicon,
    default_lexicon,
    find_affixes,
    load_lexicon,
    ordinary_python,
    read_lexicon,
    write_lexicon,
)
from sharedhash.errors import FileAccessError


def test_default_lexicon_is_shipped_and_loaded_by_default() -> None:
    lexicon = default_lexicon()
    assert len(lexicon) > 600_000
    assert lexicon.common <= lexicon.words
    for word in ("video", "free", "garden", "Straße", "2024", "город"):
        assert normalise(word).despaced in lexicon.common
    assert {"s", "en", "ing"} <= lexicon.suffixes
    assert "en" in lexicon.productive_suffixes
    assert "video" not in lexicon.productive_suffixes
    assert Matcher(TermList.from_lines(["term zorblax"])).lexicon is lexicon
    assert load_lexicon(None) is lexicon
    assert load_lexicon("") is lexicon
    assert not load_lexicon("none")


def test_shipped_skeletons_are_what_the_normaliser_makes_of_them() -> None:
    words = sorted(default_lexicon().words)
    for word in words[:: len(words) // 3000]:
        assert normalise(word).tokens == (word,)


def test_ordinary_words_are_lexicon_words_compounds_or_affixed_words() -> None:
    lexicon = Lexicon(
        frozenset({"garden", "house", "walk", "pot"}), frozenset(), frozenset({"re"}), frozenset({"ing", "s"})
    )
    assert lexicon.ordinary("garden")
    assert lexicon.ordinary("gardenhouse")  # two words of 4+ letters
    assert lexicon.ordinary("houseing")
    assert lexicon.ordinary("rewalk")
    assert lexicon.ordinary("gardens")
    assert not lexicon.ordinary("gardens", affixes=False)
    assert not lexicon.ordinary("potwalk")  # "pot" is too short to count as a compound part
    assert not lexicon.ordinary("zorblaxhouse")


def test_affixes_are_counted_from_the_words_themselves() -> None:
    words = frozenset({"walk", "walks", "walking", "talk", "talks", "talking", "rewalk", "king"})
    prefixes, suffixes = find_affixes(words)
    assert suffixes["s"] == 2
    assert suffixes["ing"] == 2
    assert prefixes["re"] == 1
    # "walking" is also "wal" + "king": chance pairs like this are why an affix needs AFFIX_MIN_WORDS words
    assert prefixes["wal"] == 1
    assert prefixes["t"] == 0


def test_lexicon_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "small.lexicon.gz"
    words = frozenset({"garden", "video", "fre", "walk", "walks"})
    write_lexicon(path, words, frozenset({"video", "fre"}), source="test words")
    lexicon = read_lexicon(path)
    assert lexicon.words == words
    assert lexicon.common == {"video", "fre"}
    assert load_lexicon(str(path)).words == words
    first = path.read_bytes()
    write_lexicon(path, words, frozenset({"video", "fre"}), source="test words")
    assert path.read_bytes() == first  # deterministic: a rebuild changes the file only when the words do


def test_bad_lexicon_files_are_rejected_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "bad.lexicon.gz"
    path.write_bytes(b"not gzip")
    with pytest.raises(LexiconFileError, match="not a gzip-compressed"):
        read_lexicon(path)
    path.write_bytes(gzip.compress(b"# sharedhash-lexicon 1\n# normaliser 0000000000000000\n@common\n"))
    with pytest.raises(LexiconFileError, match="another version of the normaliser"):
        read_lexicon(path)
    path.write_bytes(gzip.compress(b"garden\nvideo\n"))
    with pytest.raises(LexiconFileError, match="not a lexicon file"):
        read_lexicon(path)
    with pytest.raises(FileAccessError):
        read_lexicon(tmp_path / "missing.lexicon.gz")


def _lexicon(words: set[str], productive_suffixes: frozenset[str] = frozenset()) -> Lexicon:
    base = build_lexicon(sorted(words))
    return Lexicon(base.words, base.words, base.prefixes, base.suffixes, frozenset(), productive_suffixes)


def test_glued_misspelling_needs_a_common_word_that_is_not_a_productive_ending() -> None:
    rules = TermList.from_lines(["term zorblaxon"])
    glued = Matcher(rules, lexicon=_lexicon({"video", "en"}, productive_suffixes=frozenset({"en"})))
    match = glued.check("zorblqxonvideo").top
    assert match is not None
    assert match.how is MatchHow.FUZZY_INSIDE_WORD
    # "en" ends too many words: "zorblqxonen" reads as a rare word, not as a misspelt term glued to a word
    assert not glued.check("zorblqxonen").deter
    # a word made of two ordinary words is not searched for glued misspellings
    ordinary = Matcher(rules, lexicon=_lexicon({"video", "zorblqxon"}))
    assert not ordinary.check("zorblqxonvideo").deter
    assert ordinary.check("zorblaxon").deter  # exact matches are never suppressed


def test_short_rules_have_no_glued_misspellings() -> None:
    # Under GLUED_FUZZY_FROM letters, the beginnings of rare words are too often one edit from a rule.
    matcher = Matcher(TermList.from_lines(["term zorblax"]), lexicon=_lexicon({"video"}))
    assert not matcher.check("zorblqxvideo").deter
    assert matcher.check("zorblqx video").deter  # misspelt as a whole word
    assert matcher.check("zorblaxvideo").deter  # exact, glued


def test_glued_misspelling_with_repeated_letters_kept() -> None:
    matcher = Matcher(TermList.from_lines(["term quuxvidmo"]), lexicon=_lexicon({"video", "free"}))
    assert matcher.check("quauxvidmofree").deter  # "quuxvidmo" with a letter of its double changed
    assert matcher.check("freequuxvydmo").deter


def test_a_rule_one_edit_from_a_lexicon_word_has_no_glued_misspellings() -> None:
    # "zorbluxon" is a lexicon word here, one edit from the rule: a misspelt copy glued to a word reads as a rare
    # word of the language, while whole-word misspellings and exact matches still count.
    rules = TermList.from_lines(["term zorblaxon", "term quuxvidmo"])
    matcher = Matcher(rules, lexicon=_lexicon({"video", "zorbluxon"}))
    assert not matcher.check("zorblqaxonvideo").deter
    assert matcher.check("zorblqaxon").top is not None  # two edits from "zorbluxon"
    assert matcher.check("zorblaxonvideo").deter
    glued = matcher.check("quuxvydmovideo").top  # a rule with no lexicon word near it keeps its glued misspellings
    assert glued is not None
    assert glued.how is MatchHow.FUZZY_INSIDE_WORD


def test_a_query_word_one_edit_from_a_lexicon_word_is_no_misspelt_rule() -> None:
    # "zorbluxe" is a form the lexicon lacks, one edit from both the lexicon word "zorblux" and the rule
    # "zorblxe": it is read as a form of the word, not as the rule misspelt. Two edits from any lexicon word, a
    # misspelling counts.
    matcher = Matcher(TermList.from_lines(["term zorblxe"]), lexicon=_lexicon({"video", "zorblux", "zurbaxe"}))
    assert not matcher.check("zorbluxe").deter
    assert matcher.check("zorbaxe").deter  # a whole word one edit from "zurbaxe", but not at its end
    assert not matcher.check("zorbluxevideo").deter
    assert matcher.check("zorblqxe").top is not None
    assert not matcher.check("zorblqxevideo").deter  # glued misspellings need GLUED_FUZZY_FROM letters
    assert matcher.check("zorblxe").deter  # exact matches always count
    lexicon = _lexicon({"rompez"})
    for near in ("rompiez", "ropmez", "rompe", "xrompez", "rompex"):  # inserted, swapped, deleted, replaced
        assert lexicon.next_to_word(near), near
    assert not lexicon.next_to_word("rompiex")
    assert lexicon.next_to_word("rompezs", end=2)  # an edit at the end, where inflections are
    assert lexicon.next_to_word("rompiz", end=2)
    assert not lexicon.next_to_word("rxmpez", end=2)
    assert not Lexicon().next_to_word("rompez")


def test_a_term_inside_several_lexicon_words_counts_only_as_whole_words() -> None:
    rules = TermList.from_lines(["term zorblax", "term quuxvid"])
    formed = {"zorblaxing", "zorblaxer", "unzorblax", "best", "video"}
    matcher = Matcher(rules, lexicon=_lexicon(formed))
    assert not matcher.check("bestzorblaxvideo").deter  # part of how the words are formed
    assert matcher.check("zorblax video").deter  # whole words still count
    inside = matcher.check("bestquuxvidvideo").top  # a term inside no lexicon word still counts inside a word
    assert inside is not None
    assert inside.how is MatchHow.INSIDE_WORD
    two_words = Matcher(rules, lexicon=_lexicon(formed - {"unzorblax"}))  # inside 2 lexicon words: still counts
    assert two_words.check("bestzorblaxvideo").deter


def test_a_one_word_term_is_not_found_by_joining_ordinary_words() -> None:
    lexicon = build_lexicon(["two", "non", "garden", "vox"])
    matcher = Matcher(TermList.from_lines(["term twonon", "term 'garden vox'"]), lexicon=lexicon)
    assert not matcher.check("every two non tokens").deter  # ordinary words side by side
    assert matcher.check("twonon").deter
    assert matcher.check("tw onon").deter  # a split term leaves a piece that is no word
    assert matcher.check("garden vox").deter  # a phrase rule is made of words


_needs_kernel = pytest.mark.skipif(lexicon_module._NATIVE_ORDINARY is None, reason="the C kernel was not built")
# A small alphabet (with non-ASCII and non-BMP letters) makes compounds and affixed words of the lexicon likely.
_letters = st.text(alphabet="abcdeé\U0001d41a", min_size=0, max_size=12)


def _native_and_python_agree(lexicon: Lexicon, token: str) -> None:
    for affixes in (True, False):
        expected = ordinary_python(lexicon, token, affixes=affixes)
        assert lexicon.ordinary(token, affixes=affixes) is expected, (token, affixes)


@_needs_kernel
@settings(max_examples=300, deadline=None)
@given(
    words=st.frozensets(_letters, max_size=25),
    prefixes=st.frozensets(st.text(alphabet="abcé", min_size=1, max_size=5), max_size=6),
    suffixes=st.frozensets(st.text(alphabet="abcé", min_size=1, max_size=5), max_size=6),
    tokens=st.lists(_letters, max_size=15),
)
def test_ordinary_in_the_kernel_answers_as_the_python_code(
    words: frozenset[str], prefixes: frozenset[str], suffixes: frozenset[str], tokens: list[str]
) -> None:
    lexicon = Lexicon(words, frozenset(), prefixes, suffixes)
    formed = [a + b for a in list(words)[:6] for b in [*list(words)[:6], *suffixes]]
    formed += [p + w for p in prefixes for w in list(words)[:6]]
    formed += [a + b[1:] for a in list(words)[:6] for b in list(words)[:6]]  # the junction letter written once
    for token in [*tokens, *formed, *words]:
        _native_and_python_agree(lexicon, token)


@_needs_kernel
def test_ordinary_in_the_kernel_answers_as_the_python_code_on_the_default_lexicon() -> None:
    lexicon = default_lexicon()
    words = sorted(lexicon.words)
    sample = words[:: len(words) // 2000]
    suffixes, prefixes = sorted(lexicon.suffixes)[::7], sorted(lexicon.prefixes)[::7]
    tokens = [*sample, *(w[1:] for w in sample), *(w[:-1] + "q" for w in sample)]
    tokens += [a + b for a, b in zip(sample, reversed(sample), strict=True)]
    tokens += [a + b[1:] for a, b in zip(sample, sample[1:], strict=False)]
    tokens += [w + s for w, s in zip(sample, suffixes * 50, strict=False)]
    tokens += [p + w for w, p in zip(reversed(sample), prefixes * 50, strict=False)]
    answers = {True: 0, False: 0}
    for token in tokens:
        _native_and_python_agree(lexicon, token)
        answers[lexicon.ordinary(token)] += 1
    assert min(answers.values()) > 500  # both answers are well represented


@_needs_kernel
def test_ordinary_in_the_kernel_rejects_bad_arguments_clearly() -> None:
    native = lexicon_module._NATIVE_ORDINARY
    words = frozenset({"garden"})
    with pytest.raises(TypeError, match="token must be a str"):
        native(b"garden", words, words, words, True, 4, 5, 3)
    with pytest.raises(TypeError, match="sets or frozensets"):
        native("garden", ["garden"], words, words, True, 4, 5, 3)
    with pytest.raises(TypeError, match="takes 8 arguments"):
        native("garden", words, words, words)
    with pytest.raises(ValueError, match="min_part must be >= 1"):
        native("garden", words, words, words, True, 0, 5, 3)


def test_ordinary_without_the_kernel_runs_in_python(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lexicon_module, "_NATIVE_ORDINARY", None)
    test_ordinary_words_are_lexicon_words_compounds_or_affixed_words()

"""Attested words: rarer words seen in real text, kept as 32-bit digests (issue 16, false positives at 10,000 rules).

Every rule and every "attested" word here is an invented placeholder; the shipped data is checked only for its
shape and for ordinary words.
"""

from __future__ import annotations

import gzip
from dataclasses import replace
from pathlib import Path

import pytest

from sharedhash.deterrence import Matcher, MatchHow, Rule, TermList, normalise
from sharedhash.deterrence.attested import AttestedWords, default_attested, read_attested, read_attested_file
from sharedhash.deterrence.errors import LexiconFileError
from sharedhash.deterrence.explain import explain
from sharedhash.deterrence.lexicon import Lexicon, build_lexicon, default_lexicon, skeletons
from sharedhash.deterrence.lexicon_data import normaliser_fingerprint
from sharedhash.errors import FileAccessError


def _attested(*words: str) -> AttestedWords:
    return AttestedWords.from_words(skeletons(words), "invented")


def test_attested_words_are_found_by_their_skeletons_and_short_ones_are_left_out() -> None:
    attested = _attested("zorblaxa", "quuxvidium", "zorb")
    assert normalise("zorblaxa").despaced in attested
    assert normalise("quuxvidium").despaced in attested
    assert normalise("zorblaxe").despaced not in attested
    assert "zorb" not in attested  # shorter than MIN_LETTERS: never asked about
    assert len(attested) == 2
    assert not AttestedWords()
    assert "zorblaxa" not in AttestedWords()
    assert 5 not in attested


def test_attested_file_round_trip(tmp_path: Path) -> None:
    attested = _attested("zorblaxa", "quuxvidium", "glimmerwoxe")
    path = tmp_path / "attested.bin.gz"
    attested.write(path, normaliser_fingerprint())
    again = read_attested_file(path, normaliser_fingerprint())
    assert list(again.digests) == list(attested.digests)
    assert again.source == "invented"
    assert normalise("quuxvidium").despaced in again


def test_bad_attested_files_are_rejected_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "attested.bin.gz"
    _attested("zorblaxa").write(path, "0000000000000000")
    with pytest.raises(LexiconFileError, match="another normaliser"):
        read_attested_file(path, normaliser_fingerprint())
    with pytest.raises(LexiconFileError, match="not a gzip file"):
        read_attested(b"not gzip", normaliser_fingerprint())
    with pytest.raises(LexiconFileError, match="not a 'sharedhash-attested 1' file"):
        read_attested(gzip.compress(b"# other 1\n# a b\n# c d\n# e f\n"), normaliser_fingerprint())
    with pytest.raises(LexiconFileError, match="truncated header"):
        read_attested(gzip.compress(b"# sharedhash-attested 1\n"), normaliser_fingerprint())
    header = f"# sharedhash-attested 1\n# normaliser {normaliser_fingerprint()}\n# source x\n# count 2\n"
    with pytest.raises(LexiconFileError, match="4 bytes of digests for a count of 2"):
        read_attested(gzip.compress(header.encode() + b"\x01\x00\x00\x00"), normaliser_fingerprint())
    with pytest.raises(FileAccessError):
        read_attested_file(tmp_path / "missing.bin.gz", normaliser_fingerprint())


def test_the_default_lexicon_carries_the_shipped_attested_words() -> None:
    attested = default_attested()
    assert len(attested) > 1_000_000
    assert default_lexicon().attested is attested
    assert "wordfreq" in attested.source
    # Lexicon words are not repeated among the attested words (only rarer words are).
    assert normalise("garden").despaced not in attested
    digests = attested.digests
    assert all(int(a) < int(b) for a, b in zip(digests[:1000], digests[1:1001], strict=True))


@pytest.fixture(scope="module")
def lexicons() -> tuple[Lexicon, Lexicon]:
    base = build_lexicon(["video", "download", "best", "ium", "pre"])
    return base, replace(base, attested=_attested("zorblaxa", "prequuxvidium"))


def test_an_attested_word_is_no_misspelt_term_but_the_term_still_matches(lexicons: tuple[Lexicon, Lexicon]) -> None:
    base, with_attested = lexicons
    rules = TermList.from_lines(["term zorblaxe", "term quuxvid"])
    without, matcher = Matcher(rules, lexicon=base), Matcher(rules, lexicon=with_attested)
    assert without.check("zorblaxa video").deter  # one edit from the rule: a misspelling
    assert not matcher.check("zorblaxa video").deter  # but a word seen in real text
    assert matcher.check("zorblaxe video").deter  # the rule itself still matches
    assert matcher.check("zorblaxo video").deter  # and its other misspellings
    assert matcher.check("z0rblaxe video").deter  # and the rule through a disguise


def test_an_attested_word_holding_a_term_is_no_match_inside_a_word(lexicons: tuple[Lexicon, Lexicon]) -> None:
    base, with_attested = lexicons
    rules = TermList.from_lines(["term quuxvid"])
    inside = Matcher(rules, lexicon=base).check("prequuxvidium").top
    assert inside is not None
    assert inside.how is MatchHow.INSIDE_WORD
    matcher = Matcher(rules, lexicon=with_attested)
    assert not matcher.check("prequuxvidium").deter
    assert matcher.check("bestquuxvidvideo").deter  # inside another word it still counts
    (miss,) = explain(matcher, "prequuxvidium", rule=Rule.create("term", ["quuxvid"])).near_misses
    assert "attested word" in miss.reason
    (miss,) = explain(matcher, "zorblaxa", rule=Rule.create("term", ["zorblaxe"])).near_misses
    assert "attested word" in miss.reason

"""Shared fixtures for the deterrence tests: placeholder rules only (invented words, never real terms)."""

from __future__ import annotations

import pytest
from hypothesis import settings

from sharedhash.deterrence import Matcher, TermList
from sharedhash.deterrence.lexicon import Lexicon, build_lexicon

settings.register_profile("deterrence", max_examples=60, deadline=None)

PLACEHOLDER_RULES = [
    "# invented placeholder words only",
    "term zorblax severity=high category=placeholder",
    'term "plimmerbolt 9" category=coded',
    "term quuxvid severity=low",
    "term glimmerwoxen",
    "term qix",
    "near frobnitz wuggle within=2",
    'allow "zorblax museum"',
]

# A small benign vocabulary, standing in for the dictionaries the benchmark uses.
BENIGN_WORDS = (
    "the a of and to in is you that it he was for on are as with his they at be this have from or one had by word "
    "but not what all were we when your can said there use an each which she do how their if will up other about "
    "out many then them these so some her would make like him into time has look two more write go see number no "
    "way could people my than first water been call who oil its now find long down day did get come made may part "
    "video free new best watch online pics download full museum garden recipe weather train ticket holiday music "
    "zebra zone global brass blanket bolt plimsoll glimmer wood xylophone quick quiz frozen robin wiggle nitrogen"
).split()


@pytest.fixture(scope="session")
def term_list() -> TermList:
    return TermList.from_lines(PLACEHOLDER_RULES)


@pytest.fixture(scope="session")
def matcher(term_list: TermList) -> Matcher:
    # No lexicon: the normaliser and exact matching alone (the shipped default lexicon is tested separately).
    return Matcher(term_list, lexicon=Lexicon())


@pytest.fixture(scope="session")
def default_matcher(term_list: TermList) -> Matcher:
    return Matcher(term_list)


@pytest.fixture(scope="session")
def lexicon_matcher(term_list: TermList) -> Matcher:
    return Matcher(term_list, lexicon=build_lexicon(BENIGN_WORDS))

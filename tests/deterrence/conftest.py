"""Shared fixtures for the deterrence tests: placeholder rules only (invented words, never real terms)."""

from __future__ import annotations

import pytest
from hypothesis import settings

from sharedhash.deterrence import Matcher, TermList
from sharedhash.deterrence.lexicon import Lexicon, build_lexicon
from tests.support.deterrence import BENIGN_WORDS

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

"""The most frequent English words, for telling a compound of ordinary words from a misspelt term.

Identifiers, option names and compound words in documentation and code are made of frequent English words run
together (``dryrun``, ``tofrom``, ``findroot``, ``keymask``); an invented term misspelt by one slip rarely
becomes one: 0.10% of the one-edit ``typo`` variants of the benchmark's 6-9 letter rules (draws 150-155) are two
of the 5,000 most frequent English words run together, against 0.35% with 10,000 words and 6.3% with the
lexicon's common words of all ten languages (whose short words are too dense). The words are wordfreq 3.1.1's
``top_n_list("en", FREQUENT_ENGLISH_WORDS)``, letters only; :mod:`~sharedhash.deterrence.frequent_data` holds
them (``python -m sharedhash.deterrence.build_frequent`` rebuilds it from the installed wordfreq).
"""

from __future__ import annotations

from sharedhash.deterrence.frequent_data import WORDS

#: How many of wordfreq's most frequent English words count (see the module's docstring for the measurement).
FREQUENT_ENGLISH_WORDS = 5000
#: The shortest part of a compound: "to" of "tofrom"; a single letter glued to a word is how a term is disguised.
MIN_PART = 2

FREQUENT_ENGLISH: frozenset[str] = frozenset(WORDS.split())


def frequent_compound(word: str) -> tuple[str, str] | None:
    """``word`` (lower-case letters as typed) cut into two frequent English words of ``MIN_PART``+ letters each
    (the first such cut), or ``None``."""
    words = FREQUENT_ENGLISH
    for at in range(MIN_PART, len(word) - MIN_PART + 1):
        if word[:at] in words and word[at:] in words:
            return word[:at], word[at:]
    return None

"""The benign lexicon: ordinary words of the languages a platform serves, which fuzzy matching never bends.

A correctly spelled dictionary word is not a misspelling of a rule term, and a dictionary word that happens to
contain a rule's letters is not that rule: with 10,000 rules, most false positives are exactly these cases
(measured in ``bench/deterrence.py``). Exact whole-word matches are never suppressed by the lexicon.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sharedhash._optional import require
from sharedhash.deterrence.normalise import normalise
from sharedhash.errors import FileAccessError

#: Languages of the default wordfreq lexicon: the ones whose Latin or look-alike letters meet rule skeletons.
DEFAULT_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "sv", "pl", "ru")
DEFAULT_WORDS_PER_LANGUAGE = 100_000
#: Numbers are glued to words in queries as often as words are ("zorblax2024"); word lists hold few of them.
NUMBERS_UP_TO = 2100
#: Misspelt terms are looked for only beside these most frequent words of each language ("video", "free"): a
#: rare word's beginning one edit from a rule, followed by any lexicon fragment, is far too common (measured).
DEFAULT_COMMON_PER_LANGUAGE = 20_000


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Skeletons (see :func:`~sharedhash.deterrence.normalise`) of ordinary words, and of the common ones among
    them that people glue to other words (all of them for a word list without frequencies)."""

    words: frozenset[str] = frozenset()
    common: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.words)

    def __contains__(self, skeleton: object) -> bool:
        return skeleton in self.words

    def __len__(self) -> int:
        return len(self.words)


def _skeletons(words: Iterable[str]) -> frozenset[str]:
    out: set[str] = set()
    for word in words:
        out.update(normalise(word).tokens)
    return frozenset(out)


def build_lexicon(words: Iterable[str], common: Iterable[str] | None = None) -> Lexicon:
    """A lexicon of ``words`` (each word's normalised tokens); ``common`` defaults to all of them."""
    skeletons = _skeletons(words)
    return Lexicon(skeletons, skeletons if common is None else _skeletons(common) & skeletons)


def lexicon_from_file(path: Path) -> Lexicon:
    """A lexicon from a UTF-8 word list, one word a line (Debian's /usr/share/dict lists work as they are)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise FileAccessError(f"cannot read lexicon {str(path)!r}: {exc.strerror or exc}") from None
    return build_lexicon(line.strip() for line in text.splitlines() if line.strip())


def wordfreq_lexicon(
    languages: Iterable[str] = DEFAULT_LANGUAGES,
    per_language: int = DEFAULT_WORDS_PER_LANGUAGE,
    extra: Iterable[str] = (),
    common_per_language: int = DEFAULT_COMMON_PER_LANGUAGE,
) -> Lexicon:
    """The most frequent words of each language from ``wordfreq`` (``pip install 'sharedhash[lexicon]'``), the
    numbers up to ``NUMBERS_UP_TO``, and ``extra`` words (for example a platform's own dictionaries)."""
    wordfreq = require("wordfreq", "lexicon", "the wordfreq lexicon")
    numbers = [str(n) for n in range(NUMBERS_UP_TO + 1)]
    words: list[str] = [*extra, *numbers]
    common: list[str] = list(numbers)
    for lang in languages:
        top = wordfreq.top_n_list(lang, per_language)
        words += top
        common += top[:common_per_language]
    return build_lexicon(words, common)


def load_lexicon(spec: str | None) -> Lexicon:
    """The lexicon a setting names: ``None`` or ``""`` for none, ``"wordfreq"``, or a word-list path."""
    if not spec:
        return Lexicon()
    if spec == "wordfreq":
        return wordfreq_lexicon()
    return lexicon_from_file(Path(spec))

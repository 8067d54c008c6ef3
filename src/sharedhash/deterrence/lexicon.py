"""The benign lexicon: ordinary words of the languages a platform serves, which fuzzy matching never bends.

A correctly spelled dictionary word is not a misspelling of a rule term, and a dictionary word that happens to
contain a rule's letters is not that rule: with 10,000 rules, most false positives are exactly these cases
(measured in ``bench/deterrence.py``). Exact whole-word matches are never suppressed by the lexicon.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from sharedhash._optional import require
from sharedhash.deterrence.attested import AttestedWords, default_attested
from sharedhash.deterrence.fuzzy import NATIVE
from sharedhash.deterrence.lexicon_data import default_lexicon_file, read_lexicon_file, write_lexicon_file
from sharedhash.deterrence.normalise import normalise, plain_words
from sharedhash.errors import FileAccessError

#: Languages of the default wordfreq lexicon: the ones whose Latin or look-alike letters meet rule skeletons.
DEFAULT_LANGUAGES = ("en", "de", "fr", "es", "it", "nl", "pt", "sv", "pl", "ru")
DEFAULT_WORDS_PER_LANGUAGE = 100_000
#: Numbers are glued to words in queries as often as words are ("zorblax2024"); word lists hold few of them.
NUMBERS_UP_TO = 2100
#: Misspelt terms are looked for only beside these most frequent words of each language ("video", "free"): a
#: rare word's beginning one edit from a rule, followed by any lexicon fragment, is far too common (measured).
DEFAULT_COMMON_PER_LANGUAGE = 20_000


#: Word formation (see :meth:`Lexicon.ordinary`): affixes of 1-5 letters, stems of 3+ letters, compound parts of 4+.
MAX_AFFIX = 5
MIN_STEM = 3
MIN_COMPOUND_PART = 4
#: An ending (or beginning) is an affix when this many lexicon words are another lexicon word plus it.
AFFIX_MIN_WORDS = 10
#: A common word that this many lexicon words end with (or begin with) does not count as glued after (before) a
#: misspelt term: "en", "er", "ing" end too many rare words (tuned on the benchmark's tuning words).
GLUE_MAX_AFFIX_WORDS = 300


#: The Latin letters a skeleton holds: the normaliser reads every "l" as "i" (see normalise's leetspeak step).
_SKELETON_LATIN = frozenset("abcdefghijkmnopqrstuvwxyz")

#: The C kernel's ``ordinary`` (None without the kernel, or with one built before it had it).
_NATIVE_ORDINARY: Any = getattr(NATIVE, "ordinary", None)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Skeletons (see :func:`~sharedhash.deterrence.normalise`) of ordinary words, of the common ones among
    them that people glue to other words (all of them for a word list without frequencies), and the prefixes and
    suffixes the words are formed with (see :func:`find_affixes`)."""

    words: frozenset[str] = frozenset()
    common: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    suffixes: frozenset[str] = frozenset()
    #: The most productive affixes (see ``GLUE_MAX_AFFIX_WORDS``): found beside a misspelt term, they are more
    #: likely the rest of a rare word than a word glued to a term.
    productive_prefixes: frozenset[str] = frozenset()
    productive_suffixes: frozenset[str] = frozenset()
    #: Rarer words seen in real text (see :mod:`sharedhash.deterrence.attested`), asked about only where a rule
    #: fired on a query word by misspelling or inside it: never searched, glued or counted like ``words``.
    attested: AttestedWords = field(default_factory=AttestedWords)

    def ordinary(self, token: str, *, affixes: bool = True) -> bool:
        """Whether ``token`` (a skeleton) is an ordinary word: a lexicon word, two lexicon words of 4+ letters
        run together, or (with ``affixes``) a lexicon word with one of the lexicon's prefixes or suffixes.

        Rare inflected and compound words are most of the words any word list lacks, and each is a chance for
        a misspelt rule to look like it (measured in ``bench/deterrence.py``). Affixes are short, so a misspelt
        term is often a word plus an affix too: the matcher uses them only where a term is glued to a word.
        Runs in the C kernel when it was built (the same look-ups; see :func:`ordinary_python`).
        """
        if _NATIVE_ORDINARY is not None:
            return _NATIVE_ORDINARY(  # type: ignore[no-any-return]
                token, self.words, self.prefixes, self.suffixes, affixes, MIN_COMPOUND_PART, MAX_AFFIX, MIN_STEM
            )
        return ordinary_python(self, token, affixes=affixes)

    def next_to_word(self, token: str, *, end: int = 0) -> bool:
        """Whether a lexicon word is one edit (a letter inserted, deleted or replaced, or two neighbours swapped)
        from ``token``, a skeleton; with ``end`` > 0, only an edit at one of the token's last ``end`` positions
        (or after its end). Inserted and replacing letters are the skeletons' Latin letters and the token's own.
        About 450 set look-ups for 8 letters: the matcher asks only on a fuzzy hit."""
        words = self.words
        if not words:
            return False
        letters = _SKELETON_LATIN.union(token)
        n = len(token)
        for i in range(max(0, n - end) if end else 0, n + 1):
            head, tail = token[:i], token[i:]
            for c in letters:
                if head + c + tail in words:
                    return True
            if i == n:
                break
            rest = tail[1:]
            if head + rest in words or (rest and head + rest[0] + tail[0] + rest[1:] in words):
                return True
            for c in letters:
                if c != tail[0] and head + c + rest in words:
                    return True
        return False

    def with_vocabulary(self, words: Iterable[str]) -> Lexicon:
        """This lexicon plus ``words`` (skeletons), as ordinary but not common words: a platform's own vocabulary
        (see :func:`vocabulary`), whose words are then never taken for a misspelt rule. Affixes are unchanged."""
        return replace(self, words=self.words | frozenset(words))

    def __bool__(self) -> bool:
        return bool(self.words)

    def __repr__(self) -> str:
        return f"Lexicon({len(self.words)} words, {len(self.common)} common, {len(self.attested)} attested)"

    def __contains__(self, skeleton: object) -> bool:
        return skeleton in self.words

    def __len__(self) -> int:
        return len(self.words)


def ordinary_python(lexicon: Lexicon, token: str, *, affixes: bool = True) -> bool:
    """:meth:`Lexicon.ordinary` in Python: the reference the C kernel's ``ordinary`` is tested against, and the
    fallback when the kernel was not built."""
    words = lexicon.words
    if token in words:
        return True
    n = len(token)
    for i in range(MIN_COMPOUND_PART, n - MIN_COMPOUND_PART + 1):
        # A letter shared at the junction was written once: "bok" + "keper" is "bokeper".
        if token[:i] in words and (token[i:] in words or token[i - 1 :] in words):
            return True
    if affixes:
        suffixes, prefixes = lexicon.suffixes, lexicon.prefixes
        for k in range(1, min(MAX_AFFIX, n - MIN_STEM) + 1):
            if (token[-k:] in suffixes and token[:-k] in words) or (token[:k] in prefixes and token[k:] in words):
                return True
    return False


def skeletons(words: Iterable[str]) -> frozenset[str]:
    """The normalised tokens of ``words``."""
    out: set[str] = set()
    for word in words:
        out.update(normalise(word).tokens)
    return frozenset(out)


#: A vocabulary word must be seen in this many distinct texts: a string seen once is as likely a one-off (an
#: identifier, a hash, a misspelling) as a word.
VOCABULARY_MIN_TEXTS = 2
#: Shorter words are never fuzzy-matched anyway (see ``fuzzy.ONE_EDIT_FROM``).
VOCABULARY_MIN_LETTERS = 5


def vocabulary(texts: Iterable[str], min_texts: int = VOCABULARY_MIN_TEXTS) -> frozenset[str]:
    """The skeletons of the words typed without disguise (see :func:`~sharedhash.deterrence.normalise.plain_words`)
    in at least ``min_texts`` of ``texts``, of ``VOCABULARY_MIN_LETTERS``+ letters: the vocabulary of a
    platform's own benign text (its catalogue titles, file names, descriptions), for :meth:`Lexicon.with_vocabulary`.
    Words read through a disguise (digits, symbols, look-alikes) are left out, so the vocabulary never holds a
    disguised term."""
    seen: Counter[str] = Counter()
    for text in texts:
        normal = normalise(text, symbols_as_letters=False)
        typed = plain_words(normal)
        if typed:
            seen.update(
                {t for t, w in zip(normal.tokens, typed, strict=True) if w and len(t) >= VOCABULARY_MIN_LETTERS}
            )
    return frozenset(word for word, count in seen.items() if count >= min_texts)


def find_affixes(words: frozenset[str]) -> tuple[Counter[str], Counter[str]]:
    """How many words of ``words`` are another of its words (of ``MIN_STEM``+ letters) plus each beginning and
    each ending of 1 to ``MAX_AFFIX`` letters: (prefix counts, suffix counts). About 10 s for 700,000 words."""
    prefixes: Counter[str] = Counter()
    suffixes: Counter[str] = Counter()
    for word in words:
        n = len(word)
        for k in range(1, min(MAX_AFFIX, n - MIN_STEM) + 1):
            if word[:-k] in words:
                suffixes[word[-k:]] += 1
            if word[k:] in words:
                prefixes[word[:k]] += 1
    return prefixes, suffixes


def lexicon_with_affixes(
    words: frozenset[str], common: frozenset[str], prefixes: Counter[str], suffixes: Counter[str]
) -> Lexicon:
    """A lexicon whose affix sets are cut from affix counts at ``AFFIX_MIN_WORDS`` and ``GLUE_MAX_AFFIX_WORDS``."""

    def at_least(counts: Counter[str], threshold: int) -> frozenset[str]:
        return frozenset(a for a, c in counts.items() if c >= threshold)

    return Lexicon(
        words,
        common,
        at_least(prefixes, AFFIX_MIN_WORDS),
        at_least(suffixes, AFFIX_MIN_WORDS),
        at_least(prefixes, GLUE_MAX_AFFIX_WORDS),
        at_least(suffixes, GLUE_MAX_AFFIX_WORDS),
    )


def build_lexicon(words: Iterable[str], common: Iterable[str] | None = None) -> Lexicon:
    """A lexicon of ``words`` (each word's normalised tokens), with the affixes they are formed with; ``common``
    defaults to all of them."""
    all_words = skeletons(words)
    common_words = all_words if common is None else skeletons(common) & all_words
    return lexicon_with_affixes(all_words, common_words, *find_affixes(all_words))


def lexicon_from_file(path: Path) -> Lexicon:
    """A lexicon from a UTF-8 word list, one word a line (Debian's /usr/share/dict lists work as they are)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise FileAccessError(f"cannot read lexicon {str(path)!r}: {exc.strerror or exc}") from None
    return build_lexicon(line.strip() for line in text.splitlines() if line.strip())


def wordfreq_words(
    languages: Iterable[str] = DEFAULT_LANGUAGES,
    per_language: int = DEFAULT_WORDS_PER_LANGUAGE,
    common_per_language: int = DEFAULT_COMMON_PER_LANGUAGE,
) -> tuple[list[str], list[str]]:
    """The most frequent words of each language from ``wordfreq`` (``pip install 'sharedhash[lexicon]'``) and
    the numbers up to ``NUMBERS_UP_TO``: (all words, the common ones)."""
    wordfreq = require("wordfreq", "lexicon", "the wordfreq lexicon")
    numbers = [str(n) for n in range(NUMBERS_UP_TO + 1)]
    words: list[str] = list(numbers)
    common: list[str] = list(numbers)
    for lang in languages:
        top = wordfreq.top_n_list(lang, per_language)
        words += top
        common += top[:common_per_language]
    return words, common


def wordfreq_lexicon(
    languages: Iterable[str] = DEFAULT_LANGUAGES,
    per_language: int = DEFAULT_WORDS_PER_LANGUAGE,
    extra: Iterable[str] = (),
    common_per_language: int = DEFAULT_COMMON_PER_LANGUAGE,
) -> Lexicon:
    """The lexicon of :func:`wordfreq_words` plus ``extra`` words (for example a platform's own dictionaries),
    built at run time (20-30 s). :func:`default_lexicon` is the same lexicon
    for the default arguments, shipped with the package."""
    words, common = wordfreq_words(languages, per_language, common_per_language)
    return build_lexicon([*extra, *words], common)


def load_lexicon(spec: str | None) -> Lexicon:
    """The lexicon a setting names: ``None`` or ``""`` for the shipped default (see
    :func:`default_lexicon`), ``"none"`` for none, ``"wordfreq"`` to build
    it from the installed wordfreq, or the path of a word list (one word a line) or of a lexicon data file
    (``*.lexicon.gz``, as ``python -m sharedhash.deterrence.lexicon_data`` writes)."""
    if not spec:
        return default_lexicon()
    if spec == "none":
        return Lexicon()
    if spec == "wordfreq":
        return wordfreq_lexicon()
    if spec.endswith(".lexicon.gz"):
        return read_lexicon(Path(spec))
    return lexicon_from_file(Path(spec))


def write_lexicon(path: Path, words: frozenset[str], common: frozenset[str], source: str) -> None:
    """Write skeletons (``common`` is a subset of ``words``) and their affix counts as a lexicon data file
    (affixes rarer than ``AFFIX_MIN_WORDS`` are never used, so they are left out)."""
    prefixes, suffixes = find_affixes(words)

    def kept(counts: Counter[str]) -> dict[str, int]:
        return {a: c for a, c in counts.items() if c >= AFFIX_MIN_WORDS}

    write_lexicon_file(path, words, common, kept(prefixes), kept(suffixes), source)


def read_lexicon(path: Path) -> Lexicon:
    """Read a lexicon data file written by :func:`write_lexicon`."""
    return lexicon_with_affixes(*read_lexicon_file(path))


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """The shipped lexicon (loaded once per process, well under a second): the 100,000 most frequent words of
    en, de, fr, es, it, nl, pt, sv, pl and ru in wordfreq, the 20,000 most frequent of each as common words,
    and the numbers 0-2100; and as attested words (see :mod:`sharedhash.deterrence.attested`) every other word
    of those languages in wordfreq."""
    return replace(lexicon_with_affixes(*default_lexicon_file()), attested=default_attested())

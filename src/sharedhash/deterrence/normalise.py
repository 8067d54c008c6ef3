"""Query normalisation: reduce a search query (or a rule's text) to the skeleton the matcher compares.

Rules and queries go through the same function, so every reduction below (look-alikes, leetspeak, the i/l/1
collapse, repeated letters) can only make two spellings meet, never make a rule miss its own text.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from itertools import accumulate
from typing import Any

from sharedhash.deterrence.decode import MARKS as _MARKS
from sharedhash.deterrence.decode import decoded_readings
from sharedhash.deterrence.fuzzy import NATIVE
from sharedhash.deterrence.letterlike import letterlike_table

#: The C kernel's ASCII normaliser (None without the kernel).
_NATIVE_ASCII: Any = getattr(NATIVE, "normalise_ascii", None)

# Leetspeak, applied after case folding. Ambiguous readings are collapsed instead of enumerated: i, l, 1, ! and |
# all become "i", so "zorb1ax", "zorbIax" and "zorblax" meet without trying 2^n readings per query. The reduction
# runs before repeated letters are collapsed, so "zorb1llax" is still "zorbiax" (measured: mixing leetspeak with
# repeats is far more common in the generated variants than a typo between an l and an i, which this costs).
# 2 is left alone: it stands for "to" far more often than for "z".
_LEET_ALNUM = str.maketrans({"0": "o", "1": "i", "l": "i", "3": "e", "4": "a", "5": "s", "6": "b", "7": "t",
                             "8": "b", "9": "g"})  # fmt: skip
# Symbols that stand for letters inside a word ("zorbl@x", "$tuff", "bol+") or spelled out ("z . @ . x"). Only
# "!" at a word's end is punctuation ("zorblax!").
LEET_SYMBOLS = {"@": "a", "$": "s", "!": "1", "|": "1", "+": "t", "€": "e", "£": "1", "¢": "c"}
_SYMBOL_IN_WORD = re.compile(r"[@$!|+€£¢](?=[\w@$!|+€£¢])|(?<=[\w@$!|+€£¢])[@$|+€£¢]")
_SYMBOL_ALONE = re.compile(r"(?<![\w@$!|+€£¢])[@$!|+€£¢](?![\w@$!|+€£¢])")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_DIGIT = re.compile(r"[0-9]")
_HAS_SYMBOL = re.compile(r"[@$!|+€£¢]")
_NON_WORD = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")
_LATIN = frozenset("abcdefghijklmnopqrstuvwxyz")
#: Per digit the leetspeak step reads as a letter, the letters that read the same, as typed for it ("1": "il");
#: a digit it leaves alone ("2") is in none.
DIGIT_LETTERS = {
    digit: "".join(c for c in sorted(_LATIN) if c.translate(_LEET_ALNUM) == read)
    for digit in "0123456789"
    if (read := digit.translate(_LEET_ALNUM)) != digit
}
_REPEATS = re.compile(r"(.)\1+")
#: A word's last letter repeated as the next word's first, in words joined by single spaces (see _despace).
_REPEAT_ACROSS = re.compile(r"(.) \1")
# The repeated letter, once: a C-level replacement, several times faster than the template r"\1".
_FIRST = operator.itemgetter(1)
# Zero-width and other format characters (Cf), combining marks (Mn, Me), and unassigned or private code points.
_DROPPED_CATEGORIES = frozenset({"Mn", "Me", "Cf", "Cn", "Co", "Cs"})


class QueryNote(StrEnum):
    """Something about a query the caller may want to know; none of them is an error."""

    EMPTY = "empty"  # nothing left to check after normalisation
    TRUNCATED = "truncated"  # longer than the configured limit: only the first part was checked
    INVALID_UNICODE = "invalid_unicode"  # undecodable bytes or lone surrogates, dropped before matching
    CONTROL_CHARACTERS = "control_characters"  # control or binary bytes, treated as separators


@dataclass(frozen=True, slots=True)
class NormalisedText:
    """A query or rule text reduced to tokens, plus the same text with every separator removed.

    ``despaced`` is the tokens joined with nothing between them, with a letter repeated across a token boundary
    written once; ``starts`` and ``ends`` are the offsets in ``despaced`` where each token starts and ends.
    ``uncollapsed`` is each token before repeated letters were collapsed (fuzzy matching tries both).
    """

    tokens: tuple[str, ...]
    despaced: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]
    notes: tuple[QueryNote, ...] = ()
    uncollapsed: tuple[str, ...] = ()
    #: Per token, whether digits in it were read as letters beside letters or other digits ("z0rb", "1.0" read
    #: as "io"); empty when no token was. The matcher counts only exact matches through such tokens.
    digits_read: tuple[bool, ...] = ()
    #: Per token, in a reading with symbols as separators, whether a symbol touched it ("name" and "host" of
    #: "name@host"); empty when none did. Such a token has two readings, so it too counts for exact matches only.
    beside_symbols: tuple[bool, ...] = ()
    #: The text as typed (``None`` when it is not made of ASCII and accented Latin letters; symbols read as letters
    #: are a digit in it): :func:`plain_words` reads the words typed without disguise from it, for the matcher's
    #: check of a match against the rule as written.
    typed: str | None = None

    @property
    def spaced(self) -> str:
        """The tokens joined with single spaces: the readable normal form shown in explanations."""
        return " ".join(self.tokens)


class _CharacterFolding(dict[int, str | None]):
    """``str.translate`` table that drops marks and format characters and turns control characters into spaces.

    Each code point's category is looked up once, the first time it is seen, and then answered by the table in C
    (it holds single characters only, never query text).
    """

    def __missing__(self, code: int) -> str | None:
        ch = chr(code)
        cat = unicodedata.category(ch)
        value = None if cat in _DROPPED_CATEGORIES else " " if cat == "Cc" else ch
        self[code] = value
        return value


_FOLDING = _CharacterFolding()
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _fold_unicode(text: str, trace: Trace | None = None) -> tuple[str, bool]:
    """Letter-like characters to Latin (see :mod:`~sharedhash.deterrence.letterlike`), NFKD, case folding, the
    table again for what decomposition uncovered, marks and format characters dropped; flags control characters.

    The table goes first so that a character's own reading wins over its decomposition's; the second pass finds
    a look-alike with an accent ("ѐ": Cyrillic e with grave) as its base letter.
    """
    table = letterlike_table()
    text = text.translate(table)
    if trace is not None:
        trace.append(("letter-like characters read as Latin letters and digits", text))
    text = unicodedata.normalize("NFKD", text)
    control = _CONTROL.search(text) is not None
    # Marks are dropped before case folding too: folding turns some into letters (U+0345, a mark, folds to iota).
    text = text.translate(_FOLDING).casefold().translate(table)
    text = unicodedata.normalize("NFC", text.translate(_FOLDING))
    if trace is not None:
        trace.append(("compatibility decomposition, case folding, marks and invisible characters dropped", text))
    return text, control


def decode_query(query: str | bytes) -> tuple[str, list[QueryNote]]:
    """Turn raw input into text; undecodable bytes and lone surrogates are dropped and noted, never raised."""
    if type(query) is str and query.isascii():
        return query, []  # ASCII text always encodes: the common case, without the encoding below (measured)
    notes: list[QueryNote] = []
    if isinstance(query, bytes | bytearray):
        text = bytes(query).decode("utf-8", errors="replace")
        if "\ufffd" in text:
            notes.append(QueryNote.INVALID_UNICODE)
            text = text.replace("\ufffd", "")
        return text, notes
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        notes.append(QueryNote.INVALID_UNICODE)
        # Dropping (not replacing) the bad code points means one cannot hide a term by splitting it with them.
        query = query.encode("utf-8", errors="ignore").decode("utf-8")
    return query, notes


def _leet_symbol(match: re.Match[str]) -> str:
    return LEET_SYMBOLS[match.group(0)]


def _leet_symbol_alone(match: re.Match[str]) -> str:
    # A lone symbol becomes a one-letter word, which joins its neighbours only when they are spelled out too.
    return f" {LEET_SYMBOLS[match.group(0)]} "


#: One step of a normalisation as :func:`normalise` reports it to ``trace``: what it did, and the text after it.
Trace = list[tuple[str, str]]


def normalise(
    query: str | bytes,
    *,
    max_chars: int | None = None,
    collapse: bool = True,
    symbols_as_letters: bool = True,
    trace: Trace | None = None,
) -> NormalisedText:
    """Reduce ``query`` to its skeleton. Never raises for any string or bytes; problems become notes.

    ``collapse=False`` keeps repeated letters: the matcher indexes that form of each rule too, so a typo that
    splits a double letter ("quauxvid" for "quuxvid") still counts as one edit. ``symbols_as_letters=False``
    reads the symbols leetspeak uses for letters (``@ $ ! | + € £ ¢``) as separators instead (see
    :func:`readings`). ``trace``, when given, receives every step and the text after it.
    """
    if _NATIVE_ASCII is not None and trace is None and type(query) is str and query.isascii():
        # ASCII text (the common case) in the C kernel: the same steps, tested equal to the code below on generated
        # strings and the benchmark's queries; 2-5x faster than the regular expressions and loops (measured).
        text = query if max_chars is None or len(query) <= max_chars else query[:max_chars]
        parts = _NATIVE_ASCII(text, collapse, NUMBER_READ_FROM)
        if parts is not None:  # None: a symbol leetspeak reads as a letter, read below
            notes: list[QueryNote] = [] if text is query else [QueryNote.TRUNCATED]
            if parts[-1]:  # a control character
                notes.append(QueryNote.CONTROL_CHARACTERS)
            return _from_kernel(parts, notes, text)
    text, notes = decode_query(query)
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars]
        notes.append(QueryNote.TRUNCATED)
    typed: str | None = None
    if text.isascii():
        typed = text
        text = text.lower()
        if trace is not None:
            trace.append(("lower case", text))
        if _ASCII_CONTROL.search(text):
            notes.append(QueryNote.CONTROL_CHARACTERS)
    else:
        typed = text
        text, control = _fold_unicode(text, trace)
        if control:
            notes.append(QueryNote.CONTROL_CHARACTERS)
        if _NATIVE_ASCII is not None and trace is None and text.isascii():
            # Folded to ASCII (accented Latin letters, look-alikes read): the rest in the C kernel, as above. Its
            # control flag is not used: folding turned control characters into spaces, and they were noted above.
            parts = _NATIVE_ASCII(text, collapse, NUMBER_READ_FROM)
            if parts is not None:
                return _from_kernel(parts, notes, typed)
    beside_symbols: tuple[bool, ...] = ()
    if _HAS_SYMBOL.search(text):
        if symbols_as_letters:
            text = _SYMBOL_ALONE.sub(_leet_symbol_alone, _SYMBOL_IN_WORD.sub(_leet_symbol, text))
            step = "symbols read as letters (@ a, $ s, ! | 1, + t, € e, £ 1, ¢ c)"
            # One of two readings: the matcher counts exact matches only. Each symbol read as a letter becomes a
            # digit in what was typed, so its word is no plain word; the words around it still are.
            if typed is not None:
                typed = _SYMBOL_ALONE.sub(" 0 ", _SYMBOL_IN_WORD.sub("0", typed))
        else:
            beside_symbols = _beside_symbols(text)
            text = _HAS_SYMBOL.sub(" ", text)
            step = "symbols read as separators"
        if trace is not None:
            trace.append((step, text))
    digits_read = _digits_read(text) if _DIGIT.search(text) else ()
    text = text.translate(_LEET_ALNUM)
    if trace is not None:
        trace.append(("digits and l read as letters (0 o, 1 l i, 3 e, 4 a, 5 s, 6 8 b, 7 t, 9 g)", text))
    text = _NON_WORD.sub(" ", text)
    raw = _join_spelled_out(text.split())
    if trace is not None:
        trace.append(("separators to spaces, letters spelled out one by one joined", " ".join(raw)))
    if not raw:
        return NormalisedText((), "", (), (), (*notes, QueryNote.EMPTY))
    digits_read = digits_read if digits_read and any(digits_read) else ()
    beside_symbols = beside_symbols if any(beside_symbols) else ()
    tokens = raw
    if collapse:
        # One substitution over the words joined by single spaces rather than one per word (measured; a repeat
        # never runs across the space between two words).
        spaced = _REPEATS.sub(_FIRST, " ".join(raw))
        tokens = spaced.split(" ")
    if collapse and len(tokens) > 1 and not _REPEAT_ACROSS.search(spaced):
        # No letter repeated across a word boundary: the despaced form is the words run together, and the offsets
        # their running lengths (in C, rather than _despace's loop; measured).
        lengths = list(map(len, tokens))
        ends = tuple(accumulate(lengths))
        starts = tuple(map(operator.sub, ends, lengths))
        despaced = spaced.replace(" ", "")
        result = NormalisedText(
            tuple(tokens), despaced, starts, ends, tuple(notes), tuple(raw), digits_read, beside_symbols, typed
        )
    else:
        result = _despace(tokens, raw, tuple(notes), collapse, typed, digits_read, beside_symbols)
    if trace is not None:
        if collapse:
            trace.append(("repeated letters written once", result.spaced))
        trace.append(("words run together (the form terms are searched in)", result.despaced))
    return result


def _from_kernel(parts: Any, notes: list[QueryNote], typed: str | None) -> NormalisedText:
    """The normal form from the kernel's ``normalise_ascii`` answer (its control flag already noted in ``notes``)."""
    tokens, despaced, starts, ends, raw, digits_read, _ = parts
    if not tokens:
        return NormalisedText((), "", (), (), (*notes, QueryNote.EMPTY))
    return NormalisedText(tokens, despaced, starts, ends, tuple(notes), raw, digits_read, (), typed)


@dataclass(frozen=True, slots=True)
class QueryReading:
    """One way to read a query: the decodings applied, how symbols were read, and the normalised text."""

    decodings: tuple[str, ...]
    symbols_as_letters: bool
    text: NormalisedText
    #: Symbols were read as letters here and as separators in another reading: only exact matches count.
    ambiguous: bool = False

    @property
    def label(self) -> str:
        """A short description for explanations: "as received", "url_percent, symbols as separators", ..."""
        parts = list(self.decodings) or ["as received"]
        if not self.symbols_as_letters:
            parts.append("symbols as separators")
        return ", ".join(parts)


def readings(query: str | bytes, *, max_chars: int | None = None) -> Iterator[QueryReading]:
    """Every reading of ``query`` the matcher checks, the query as received first: each decoding of text that
    arrived encoded (see :mod:`~sharedhash.deterrence.decode`) and, when it holds a symbol leetspeak reads as a
    letter, that symbol read as a separator too ("zorb|ax" is "zorbiax" and "zorb ax"). Readings with the same
    normal form are given once."""
    text = _received(query, max_chars)
    if _one_reading(text):
        # The one reading the loop below gives, without its bookkeeping (the common case; measured).
        yield QueryReading((), True, normalise(query, max_chars=max_chars))
        return
    seen: set[tuple[str, ...]] = set()
    for reading in decoded_readings(text) if isinstance(text, str) else ():
        source: str | bytes = query if not reading.steps else reading.text
        symbols = _HAS_SYMBOL.search(reading.text) is not None
        for as_letters in (True, False) if symbols else (True,):
            normal = normalise(source, max_chars=max_chars, symbols_as_letters=as_letters)
            if normal.tokens in seen:
                continue
            seen.add(normal.tokens)
            yield QueryReading(reading.steps, as_letters, normal, ambiguous=as_letters and symbols)


def only_reading(query: str | bytes, *, max_chars: int | None = None) -> NormalisedText | None:
    """The normal form of ``query`` when it has one reading only, the query as received (nothing to decode, no
    symbol to read two ways: the common case), else ``None``; exactly the text of :func:`readings`' one reading
    then, without building it (measured)."""
    return normalise(query, max_chars=max_chars) if _one_reading(_received(query, max_chars)) else None


def _received(query: str | bytes, max_chars: int | None) -> str:
    """The query as text, cut to ``max_chars``: what its readings are read from."""
    text, _ = decode_query(query)
    return text if max_chars is None or len(text) <= max_chars else text[:max_chars]


def _one_reading(text: str) -> bool:
    """Whether ``text`` has one reading only: nothing to decode and no symbol to read two ways."""
    return not _MARKS.search(text) and not _HAS_SYMBOL.search(text)


def collapse_repeats(text: str) -> str:
    """``text`` with every run of one repeated character written once ("zzoorb" is "zorb")."""
    return _REPEATS.sub(_FIRST, text)


#: A number standing alone of this many digits or more is counted as read as letters (see :func:`_digits_read`).
NUMBER_READ_FROM = 5


def _digits_read(text: str) -> tuple[bool, ...]:
    """Per token of ``text`` (before leetspeak), as :func:`_join_spelled_out` forms them: whether it mixes digits
    with letters, or joins single characters of which one is a digit. A short number standing alone is not read
    ("zorblax 2024"); one of ``NUMBER_READ_FROM`` digits or more is, since it is as long as a term: read as
    letters and then misspelt, a bug or version number met a rule ("bug #644131" as "baiei", measured on the
    benchmark's tuning texts at 10,000 rules)."""
    # In ASCII text the digits are 0-9: one search in C rather than a generator per word (measured).
    if text.isascii():
        search = _DIGIT.search

        def has_digit(chars: str) -> bool:
            return search(chars) is not None
    else:

        def has_digit(chars: str) -> bool:
            return any(c.isdigit() for c in chars)

    flags: list[bool] = []
    run: list[str] = []
    for token in _NON_WORD.sub(" ", text).split():
        if len(token) == 1:
            run.append(token)
            continue
        if run:
            flags.append(len(run) > 1 and has_digit("".join(run)))
            run = []
        flags.append(len(token) >= NUMBER_READ_FROM if token.isdigit() else has_digit(token))
    if run:
        flags.append(len(run) > 1 and has_digit("".join(run)))
    return tuple(flags)


def _typed_tokens(typed: str) -> Iterator[str | list[str]]:
    """What was typed, split as the normaliser's tokens are: a token of two or more characters as itself, and a
    run of one-character tokens (letters spelled out one by one, or a single one alone) as one list of them."""
    run: list[str] = []
    for token in [*_NON_WORD.sub(" ", _HAS_SYMBOL.sub(" ", typed)).split(), ""]:
        if len(token) == 1:
            run.append(token)
            continue
        if run:
            yield run
            run = []
        if token:
            yield token


def number_words(text: NormalisedText) -> tuple[bool, ...]:
    """Per token of ``text``, aligned as :func:`plain_words`, whether it was typed as a number standing alone,
    digits only ("1" of "dive_1.asm", "42", "1.0"); empty when none was or the tokens cannot be aligned with what
    was typed. Read as letters and joined to the words beside it, such a number is a digit read as a letter AND a
    term split apart, two readings stacked: the matcher counts no match of a rule written in letters across one
    (see ``matcher.across_a_number``). Worked out only for a match across words."""
    typed = text.typed
    if typed is None or not any(c.isdigit() for c in typed):
        return ()
    flags = [all(c.isdigit() for c in item) for item in _typed_tokens(typed)]
    if len(flags) != len(text.tokens) or not any(flags):
        return ()
    return tuple(flags)


def plain_words(text: NormalisedText, joins: list[tuple[int, ...]] | None = None) -> tuple[str, ...]:
    """Per token of ``text``, the word as typed, if it was typed without any disguise: ASCII letters (accents
    dropped, case folded), not read from digits, symbols or look-alike characters, not spelled out letter by
    letter; else ``""``. Other characters count as separators if they are punctuation or spaces ("•", "“"),
    else as a disguise of their word (see :func:`_other_typed`). Empty when the tokens cannot be aligned with what
    was typed.

    A misspelling of a rule typed without disguise is a misspelling of the rule as written: the matcher checks it
    against the rule's own letters as well as against the skeleton, where ``l`` is ``i`` and repeats are
    collapsed, which made ordinary words meet rules they do not resemble ("filtfilt", "glandium"). Worked out
    only for a fuzzy hit, so it costs nothing on most queries.
    """
    typed = text.typed
    if typed is None:
        return ()
    if not typed.isascii():
        typed = _strip_accents(typed)
        if not typed.isascii():
            typed = "".join(c if c.isascii() else _other_typed(c) for c in typed)
    words: list[str] = []
    for token in _typed_tokens(typed):
        if isinstance(token, list):
            # Letters spelled out one by one are a disguise; a single letter alone is itself.
            words.append(token[0].lower() if len(token) == 1 and token[0].lower() in _LATIN else "")
            if joins is not None:
                joins.append(())
            continue
        # Letters only, in one of the ways words are written: lower case, Capitalised, ALL CAPS or camelCase
        # without a capital i ("zorbIax", with a capital i for an l, is a disguise; see _camel_case).
        cased = token.islower() or token.isupper() or token.istitle()
        cuts = _inner_word_starts(token) if not cased and token.isalpha() else None
        words.append(token.lower() if token.isalpha() and (cased or cuts) else "")
        if joins is not None:
            joins.append(cuts or ())
    if len(words) != len(text.tokens):
        return ()
    return tuple(words)


def camel_joins(text: NormalisedText) -> tuple[tuple[int, ...], ...]:
    """Per token of ``text``, aligned as :func:`plain_words`, the offsets where a camelCase word's inner words
    begin (``FindZorblax``: ``(4,)``); ``()`` for any other word. Empty when the tokens cannot be aligned."""
    joins: list[tuple[int, ...]] = []
    if not plain_words(text, joins):
        return ()
    return tuple(joins)


#: File-name extensions of source code: a word written just before one is the name of a source file.
SOURCE_EXTENSIONS = frozenset(
    "py pyi pyx pxd c h cc cpp cxx hpp hh hxx java js mjs ts tsx jsx rb pl pm go rs sh bash zsh php lua el hs ml "
    "mli cs swift kt kts scala clj erl ex exs tcl vim m mm f f90 jl r".split()
)
#: Endings that make dotted words a file name or a web address rather than an identifier of code: extensions of
#: media, archive and document files, and common top-level domains.
NAME_ENDINGS = frozenset(
    "zip rar 7z tar gz tgz bz2 xz mp4 m4v mkv avi mov wmv flv webm mpg mpeg 3gp mp3 wav flac ogg m4a jpg jpeg png "
    "gif bmp webp tif tiff heic pdf doc docx txt rtf epub iso torrent exe apk html htm "
    "com net org info io co tv me us uk de ru nl fr xxx".split()
)
_CAPITAL = re.compile(r"[A-Z]")
#: A manual page's section, after its name and a dot (``printf.3``, ``Digest.3pm``), and compressed files' endings.
_MAN_SECTION = re.compile(r"[1-9][a-z]{0,3}")
_COMPRESSED = frozenset({"gz", "bz2", "xz", "z", "zst"})
_CAMEL = re.compile(r"[A-Za-z][a-z]+(?:[A-Z][a-z]+)+")


#: An inner word of an identifier in mixed case: a run of capitals not followed by a small letter (an acronym:
#: ``XML`` of ``XMLParser``, ``Q`` of ``QUnit``, ``TT`` of ``setGenpinTT``), or small letters, after one capital
#: or none.
_INNER_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+")


def _inner_word_starts(token: str) -> tuple[int, ...] | None:
    """Where the inner words of ``token`` (ASCII letters in mixed case) begin after the first, if it is written
    as identifiers and names are: camelCase (see :func:`_camel_case`), or inner words that are each an acronym in
    capitals or 2+ small letters after one capital or none, one of them a capitalised word (``QUnit``,
    ``XMLHttpRequest``, ``setGenpinTT``, ``PangoOT``), with no capital i; else ``None``. Random case
    (``zOrBlAx``, ``ZoRbLaX``) leaves inner words of one small letter, and small letters then capitals
    (``zorbfiTEN``) have no capitalised word: disguises, compared by their skeletons. An acronym before or after
    capitalised words was how names are typed read as a disguise (on the benchmark's tuning halves at 10,000
    rules: ``QUnit`` misspelt by its skeleton met a rule ``quunglilt``, ``setGenpinTT`` held a term ``genpli``
    inside it)."""
    if _camel_case(token):
        return tuple(m.start() for m in _CAPITAL.finditer(token, 1))
    if "I" in token:
        return None
    parts = [p.group() for p in _INNER_WORD.finditer(token)]
    if len(parts) < 2 or not all(p.isupper() or sum(c.islower() for c in p) >= 2 for p in parts):
        return None
    if not any(p[0].isupper() and p[1:].islower() for p in parts):
        return None  # no capitalised word: small letters then capitals ("zorbfiTEN") is a disguise
    return tuple(accumulate(len(p) for p in parts[:-1]))


def _camel_case(token: str) -> bool:
    """Whether ``token`` is written in camelCase, words of 2+ letters each begun with a capital after the first
    (``FindPackage``, ``mapRun``), with no capital i (which may stand for an l). Such a word is how identifiers
    and file names are typed, its letters as typed: a misspelling of a rule must be one of the rule as written (with
    50,000 and 100,000 rules on the benchmark's tuning file names, camelCase names of build files were the file-name
    false positives, misspellings of a rule's skeleton only)."""
    return "I" not in token and _CAMEL.fullmatch(token) is not None


def identifier_words(text: NormalisedText) -> tuple[bool, ...]:
    """Per token of ``text``, aligned as :func:`plain_words`, whether it was typed as an identifier of code:
    joined by ``_`` to another word of 2+ characters (``data_to_mpi``), written in camelCase (``mapRun``), or one
    of 2+ words of 2+ characters joined by dots (a module or attribute path, ``matplotlib.pyplot``,
    ``pyplot.show``, ``datauri.pyi``) unless the last is a file-name extension of media, archives or documents or
    a top-level domain (``zorblqx.zip``, ``zorblqx.com``: a file name or a site); or the name of a source file,
    the word before a last ``.`` and a source-code extension (``SOURCE_EXTENSIONS``, one letter too:
    ``kronuz.c``); written right before an opening parenthesis, a function called or declared (``geturl()``,
    ``memdup(p, n)``); on either side of ``::``, a name in a namespace (``http::geturl``); right after a ``-``
    that begins its chunk, a command-line option (``-glinfo``); or the name of a manual page (a dot and a
    section after it, compressed or not: ``munmap.2.gz``, ``geturl.1``); or any word of a web address (``://``
    in its chunk) or of a path of three or more names joined by ``/`` (``github.com/Kludex/uvicorn``). Another
    one-letter extension (``zorblq.x``) does not count: a dot before a word's last letter is also how a term is
    split apart. Empty when the tokens cannot be aligned with what was typed.

    Only the shape of the text counts, never which words are in it; words separated by spaces are no identifier.
    """
    typed = text.typed
    if typed is None:
        return ()
    flags: list[bool] = []
    run = 0
    for chunk in _HAS_SYMBOL.sub(" ", typed).split():
        pieces = list(_WORD.finditer(chunk))
        words = [p.group() for p in pieces]
        joins = [chunk[pieces[k].end() : pieces[k + 1].start()] for k in range(len(pieces) - 1)]
        dotted = [False] * len(pieces)
        k = 0
        while k < len(pieces):
            j = k
            while j < len(joins) and joins[j] == ".":
                j += 1
            group = words[k : j + 1]
            if (
                len(group) >= 2
                and all(len(w) >= 2 and w[0].isalpha() for w in group)
                and group[-1].lower() not in NAME_ENDINGS
            ):
                dotted[k : j + 1] = [True] * len(group)
            k = j + 1
        # A web address or a path of three or more names ("https://host/zorblqx", "src/lib/zorblqx"): each of its
        # words was copied, not typed.
        path = "://" in chunk or sum(join == "/" for join in joins) >= 2
        # The name of a source file, whatever its extension's length ("kronuz.c"): see SOURCE_EXTENSIONS.
        source = [
            k == len(words) - 2 and joins[k] == "." and words[k + 1].lower() in SOURCE_EXTENSIONS and len(word) >= 2
            for k, word in enumerate(words)
        ]
        # A function called or declared: a word written right before an opening parenthesis ("geturl()").
        called = [
            (joins[k] if k < len(joins) else chunk[piece.end() :]).startswith("(") for k, piece in enumerate(pieces)
        ]
        # A name in a namespace ("http::geturl"); a command-line option ("-glinfo", "--zorblqx").
        for k, join in enumerate(joins):
            if join == "::":
                called[k] = called[k + 1] = True
        if pieces and chunk[: pieces[0].start()].endswith("-"):
            called[0] = True
        # The name of a manual page: a word, a dot and a section ("munmap.2.gz", "geturl.1", "printf.3pm").
        for k in range(len(words) - 1):
            rest = [w.lower() for w in words[k + 1 :]]
            if (
                joins[k] == "."
                and words[k][0].isalpha()
                and not words[k][-1].isdigit()
                and _MAN_SECTION.fullmatch(rest[0]) is not None
                and (len(rest) == 1 or (len(rest) == 2 and joins[k + 1] == "." and rest[1] in _COMPRESSED))
            ):
                called[k] = True
        for k, word in enumerate(words):
            if len(word) == 1:
                run += 1  # spelled-out letters become one token, as in plain_words: never an identifier here
                continue
            if run:
                flags.append(False)
                run = 0
            flags.append(
                path
                or dotted[k]
                or source[k]
                or called[k]
                or (k > 0 and joins[k - 1] == "_" and len(words[k - 1]) >= 2)
                or (k < len(joins) and joins[k] == "_" and len(words[k + 1]) >= 2)
                # camelCase with a capital i too ("FileInfo"), unlike plain_words; or an acronym beside capitalised
                # words ("QUnit", see _inner_word_starts).
                or _CAMEL.fullmatch(word) is not None
                or (
                    word.isalpha()
                    and not (word.islower() or word.isupper() or word.istitle())
                    and _inner_word_starts(word) is not None
                )
            )
    if run:
        flags.append(False)
    if len(flags) != len(text.tokens):
        return ()
    return tuple(flags)


@lru_cache(maxsize=4096)
def _other_typed(char: str) -> str:
    """What a character other than an ASCII or accented Latin letter stands for in what was typed, for
    :func:`plain_words`: a separator (``" "``) if it is punctuation, a space or a symbol the normaliser reads as no
    letter or digit ("•", "“", "—", "→", "©"), else a digit (``"0"``), so that its word is no plain word, as for a
    symbol read as a letter (a look-alike, an emoji letter, an invisible character inside a word).

    A symbol taken for a digit made a token the normaliser does not have, so no word of the text could be aligned
    with what was typed and every word of it was compared by its skeleton only, as if disguised (on the
    benchmark's tuning halves at 10,000 rules: lines of Unicode's data files quoted in documentation, with "→"
    between names in capitals, met a rule one edit from a name's skeleton)."""
    if unicodedata.category(char)[0] in "PZS" and not any(c.isalnum() for c in _fold_unicode(char)[0]):
        return " "
    return "0"


def _strip_accents(text: str) -> str:
    """``text`` with the marks of canonically decomposed letters dropped ("é" is "e"; "ｚ" and "ⓩ" stay)."""
    return "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")


def _beside_symbols(text: str) -> tuple[bool, ...]:
    """Per token of ``text`` with its leetspeak symbols read as separators, as :func:`_join_spelled_out` forms
    them: whether a symbol stands right before or after it (or one of the single characters it joins)."""
    flags: list[bool] = []
    run: list[bool] = []
    for match in _WORD.finditer(_HAS_SYMBOL.sub(" ", text)):
        start, end = match.span()
        touched = bool(
            (start and _HAS_SYMBOL.match(text, start - 1)) or (end < len(text) and _HAS_SYMBOL.match(text, end))
        )
        if end - start == 1:
            run.append(touched)
            continue
        if run:
            flags.append(any(run))
            run = []
        flags.append(touched)
    if run:
        flags.append(any(run))
    return tuple(flags)


def _join_spelled_out(tokens: list[str]) -> list[str]:
    """Join runs of single characters ("z o r b l a x", "z.o.r") into one word."""
    if 1 not in map(len, tokens):
        return tokens  # the common case: no word of one character (measured)
    out: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1:
            run.append(token)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(token)
    if run:
        out.append("".join(run))
    return out


def _despace(
    tokens: list[str],
    raw: list[str],
    notes: tuple[QueryNote, ...],
    collapse: bool,
    typed: str | None = None,
    digits_read: tuple[bool, ...] = (),
    beside_symbols: tuple[bool, ...] = (),
) -> NormalisedText:
    if len(tokens) == 1:  # the common case of a one-word query, without the loop below (measured)
        token = tokens[0]
        return NormalisedText(
            (token,), token, (0,), (len(token),), notes, (raw[0],), digits_read, beside_symbols, typed
        )
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    last = ""
    for token in tokens:
        # A letter repeated across the boundary ("zorblax xylo" run together as "zorblaxxylo") is written once,
        # exactly as the repeat collapse does inside a word.
        piece = token[1:] if collapse and last and token[0] == last else token
        starts.append(pos - (len(token) - len(piece)))
        parts.append(piece)
        pos += len(piece)
        ends.append(pos)
        last = token[-1]
    return NormalisedText(
        tuple(tokens), "".join(parts), tuple(starts), tuple(ends), notes, tuple(raw), digits_read, beside_symbols, typed
    )

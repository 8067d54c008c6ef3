"""Query normalisation: reduce a search query (or a rule's text) to the skeleton the matcher compares.

Rules and queries go through the same function, so every reduction below (look-alikes, leetspeak, the i/l/1
collapse, repeated letters) can only make two spellings meet, never make a rule miss its own text.
"""

from __future__ import annotations

import json
import operator
import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

#: Look-alikes Unicode's confusables data leaves out but that pass for Latin letters in a search box
#: (mostly small-capital shapes of Cyrillic and Greek letters).
_EXTRA_CONFUSABLES = {
    "к": "k", "κ": "k", "м": "m", "т": "t", "τ": "t", "н": "h", "в": "b", "χ": "x", "ь": "b", "п": "n", "г": "r",
}  # fmt: skip

# Leetspeak, applied after case folding. Ambiguous readings are collapsed instead of enumerated: i, l, 1, ! and |
# all become "i", so "zorb1ax", "zorbIax" and "zorblax" meet without trying 2^n readings per query. The reduction
# runs before repeated letters are collapsed, so "zorb1llax" is still "zorbiax" (measured: mixing leetspeak with
# repeats is far more common in the generated variants than a typo between an l and an i, which this costs).
# 2 is left alone: it stands for "to" far more often than for "z".
_LEET_ALNUM = str.maketrans({"0": "o", "1": "i", "l": "i", "3": "e", "4": "a", "5": "s", "6": "b", "7": "t",
                             "8": "b", "9": "g"})  # fmt: skip
# Symbols that stand for letters inside a word ("zorbl@x", "$tuff", "bol+") or spelled out ("z . @ . x"). Only
# "!" at a word's end is punctuation ("zorblax!").
_LEET_SYMBOLS = {"@": "a", "$": "s", "!": "1", "|": "1", "+": "t", "€": "e", "£": "1", "¢": "c"}
_SYMBOL_IN_WORD = re.compile(r"[@$!|+€£¢](?=[\w@$!|+€£¢])|(?<=[\w@$!|+€£¢])[@$|+€£¢]")
_SYMBOL_ALONE = re.compile(r"(?<![\w@$!|+€£¢])[@$!|+€£¢](?![\w@$!|+€£¢])")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HAS_SYMBOL = re.compile(r"[@$!|+€£¢]")
_NON_WORD = re.compile(r"[\W_]+")
_REPEATS = re.compile(r"(.)\1+")
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

    @property
    def spaced(self) -> str:
        """The tokens joined with single spaces: the readable normal form shown in explanations."""
        return " ".join(self.tokens)


@lru_cache(maxsize=1)
def _confusable_table() -> dict[int, str]:
    """Map each character that looks like an ASCII letter or digit to it, from Unicode's confusables data."""
    data = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8")
    table: dict[int, str] = {}
    for source, glyphs in json.loads(data).items():
        if len(source) != 1 or source.isascii():
            continue
        targets = [g["c"] for g in glyphs if len(g["c"]) == 1 and g["c"].isascii() and g["c"].isalnum()]
        if targets:
            # Prefer a letter over a digit: the digit would be read as leetspeak anyway.
            targets.sort(key=lambda c: (not c.isalpha(), c))
            table[ord(source)] = targets[0]
    table.update({ord(k): v for k, v in _EXTRA_CONFUSABLES.items()})
    return table


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


def _fold_unicode(text: str) -> tuple[str, bool]:
    """NFKD, look-alikes to Latin, case folding, marks and format characters dropped; flags control characters.

    Decomposing first means a look-alike with an accent ("ѐ": Cyrillic e with grave) is found as its base letter.
    """
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKD", text).translate(_confusable_table()).casefold())
    control = _CONTROL.search(text) is not None
    return unicodedata.normalize("NFC", text.translate(_FOLDING)), control


def decode_query(query: str | bytes) -> tuple[str, list[QueryNote]]:
    """Turn raw input into text; undecodable bytes and lone surrogates are dropped and noted, never raised."""
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
    return _LEET_SYMBOLS[match.group(0)]


def _leet_symbol_alone(match: re.Match[str]) -> str:
    # A lone symbol becomes a one-letter word, which joins its neighbours only when they are spelled out too.
    return f" {_LEET_SYMBOLS[match.group(0)]} "


def normalise(query: str | bytes, *, max_chars: int | None = None, collapse: bool = True) -> NormalisedText:
    """Reduce ``query`` to its skeleton. Never raises for any string or bytes; problems become notes.

    ``collapse=False`` keeps repeated letters: the matcher indexes that form of each rule too, so a typo that
    splits a double letter ("quauxvid" for "quuxvid") still counts as one edit.
    """
    text, notes = decode_query(query)
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars]
        notes.append(QueryNote.TRUNCATED)
    if text.isascii():
        text = text.lower()
        if _ASCII_CONTROL.search(text):
            notes.append(QueryNote.CONTROL_CHARACTERS)
    else:
        text, control = _fold_unicode(text)
        if control:
            notes.append(QueryNote.CONTROL_CHARACTERS)
    if _HAS_SYMBOL.search(text):
        text = _SYMBOL_ALONE.sub(_leet_symbol_alone, _SYMBOL_IN_WORD.sub(_leet_symbol, text))
    text = _NON_WORD.sub(" ", text.translate(_LEET_ALNUM))
    raw = _join_spelled_out(text.split())
    tokens = [_REPEATS.sub(_FIRST, t) for t in raw] if collapse else raw
    if not tokens:
        return NormalisedText((), "", (), (), (*notes, QueryNote.EMPTY))
    return _despace(tokens, raw, tuple(notes), collapse)


def collapse_repeats(text: str) -> str:
    """``text`` with every run of one repeated character written once ("zzoorb" is "zorb")."""
    return _REPEATS.sub(_FIRST, text)


def _join_spelled_out(tokens: list[str]) -> list[str]:
    """Join runs of single characters ("z o r b l a x", "z.o.r") into one word."""
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


def _despace(tokens: list[str], raw: list[str], notes: tuple[QueryNote, ...], collapse: bool) -> NormalisedText:
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
    return NormalisedText(tuple(tokens), "".join(parts), tuple(starts), tuple(ends), notes, tuple(raw))

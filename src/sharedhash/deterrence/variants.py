"""Obfuscated variants of a rule's text, as people disguise search terms, to measure what the matcher catches.

The transformations are written independently of the normaliser (their own look-alike and leetspeak tables), so
a variant the matcher misses is a real gap, not an artefact of sharing one table.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations

from sharedhash.deterrence.fuzzy import allowed_edits
from sharedhash.deterrence.normalise import normalise
from sharedhash.deterrence.rules import Rule, RuleKind

_LEET = {"a": "4@", "e": "3€", "i": "1!|", "l": "1|", "o": "0", "s": "5$", "t": "7+", "b": "8", "g": "9"}
_LOOKALIKE_LOWER = {
    "a": "аα", "c": "с", "e": "е", "i": "іι", "j": "ј", "o": "оο", "p": "рρ", "s": "ѕ", "x": "хχ", "y": "у",
    "h": "һ", "k": "κк", "v": "ν", "t": "т", "m": "м",
}  # fmt: skip
_LOOKALIKE_UPPER = {
    "A": "АΑ", "B": "ВΒ", "C": "С", "E": "ЕΕ", "H": "НΗ", "I": "ІΙ", "K": "КΚ", "M": "МΜ", "N": "Ν", "O": "ОΟ",
    "P": "РΡ", "T": "ТΤ", "X": "ХΧ", "Y": "ΥУ", "Z": "Ζ",
}  # fmt: skip
_MATH_STYLES = ("BOLD", "ITALIC", "BOLD ITALIC", "SCRIPT", "FRAKTUR", "DOUBLE-STRUCK", "SANS-SERIF", "MONOSPACE")
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_COMBINING = "\u0301\u0300\u0308\u0303\u0327\u030a\u0332"
_SEPARATORS = (".", " ", "_", "-", "*", "~", "/", ". ", " - ")
_CONTEXT = ("free", "video", "new", "best", "watch", "online", "pics", "download", "full", "hd", "2024", "link")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def _math(ch: str, style: str) -> str:
    if not ch.isascii() or not ch.isalpha():
        return ch
    case = "CAPITAL" if ch.isupper() else "SMALL"
    try:
        return unicodedata.lookup(f"MATHEMATICAL {style} {case} {ch.upper()}")
    except KeyError:  # a few letters live in the Letterlike Symbols block instead; keep the plain letter
        return ch


def _letters(text: str) -> list[int]:
    return [i for i, c in enumerate(text) if c.isalpha()]


def _case(text: str, rng: random.Random) -> str:
    mode = rng.randrange(3)
    if mode == 0:
        return text.upper()
    if mode == 1:
        return text.title()
    return "".join(c.upper() if rng.random() < 0.5 else c for c in text)


def _leet(text: str, rng: random.Random) -> str:
    spots = [i for i, c in enumerate(text) if c.lower() in _LEET]
    chosen = set(rng.sample(spots, k=max(1, len(spots) // 2))) if spots else set()
    return "".join(rng.choice(_LEET[c.lower()]) if i in chosen else c for i, c in enumerate(text))


def _lookalike(text: str, rng: random.Random) -> str:
    out = []
    for c in text:
        table = _LOOKALIKE_UPPER if c.isupper() else _LOOKALIKE_LOWER
        out.append(rng.choice(table[c]) if c in table and rng.random() < 0.6 else c)
    return "".join(out)


def _fullwidth(text: str, rng: random.Random) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and rng.random() < 0.8 else c for c in text)


def _math_letters(text: str, rng: random.Random) -> str:
    style = rng.choice(_MATH_STYLES)
    return "".join(_math(c, style) for c in text)


def _zero_width(text: str, rng: random.Random) -> str:
    out = []
    for i, c in enumerate(text):
        out.append(c)
        if i < len(text) - 1 and rng.random() < 0.4:
            out.append(rng.choice(_ZERO_WIDTH))
    return "".join(out)


def _diacritics(text: str, rng: random.Random) -> str:
    out = []
    for c in text:
        out.append(c)
        if c.isalpha() and rng.random() < 0.4:
            out.append(rng.choice(_COMBINING))
    return unicodedata.normalize("NFC", "".join(out)) if rng.random() < 0.5 else "".join(out)


def _separate(text: str, rng: random.Random) -> str:
    sep = rng.choice(_SEPARATORS)
    return sep.join(c for c in text if not c.isspace())


def _repeat(text: str, rng: random.Random) -> str:
    return "".join(c * rng.randint(2, 4) if c.isalpha() and rng.random() < 0.35 else c for c in text)


def _run_together(text: str, rng: random.Random) -> str:
    glued = text.replace(" ", "")
    word = rng.choice(_CONTEXT)
    return rng.choice((glued, word + glued, glued + word))


def _split(text: str, rng: random.Random) -> str:
    spots = [i for i in range(1, len(text)) if text[i - 1].isalnum() and text[i].isalnum()]
    if not spots:
        return text
    cut = rng.choice(spots)
    return text[:cut] + rng.choice((" ", "-", ".")) + text[cut:]


#: The share of misspellings whose edit touches a word's first letter (replaced, left out, a letter typed before
#: it, or swapped with the second). Studies of real misspellings find the first letter rarely wrong: "few errors
#: are made in the first character of a word" (Yannakoudakis & Fawthrop, "The rules of spelling errors",
#: Information Processing & Management 19(2), 1983, over 1,377 adult misspellings); Pollock & Zamora (CACM 27(4),
#: 1984, 50,000 misspellings from scientific text) report a first-letter error in a few per cent of them. Drawing
#: every letter alike makes a 7-letter word's first letter wrong in 1 of 7 misspellings (14%), twice what the
#: literature finds; 7% is taken here, the upper end of "a few per cent". Chosen from the literature before
#: any benchmark result was looked at (docs/deterrence.md, "What a misspelling is").
FIRST_LETTER_SHARE = 0.07


def _typo_spot(text: str, spots: list[int], rng: random.Random) -> int:
    """Where an edit falls: a word's first letter with probability ``FIRST_LETTER_SHARE``, else any other letter."""
    first = [i for i in spots if not i or not text[i - 1].isalpha()]
    rest = [i for i in spots if i not in first]
    if first and (not rest or rng.random() < FIRST_LETTER_SHARE):
        return rng.choice(first)
    return rng.choice(rest)


def _typo(text: str, rng: random.Random, budget: int) -> str:
    """``text`` with up to ``budget`` typing errors: a letter replaced, left out, added or swapped with the next,
    the first letter of a word as rarely as in real misspellings (see ``FIRST_LETTER_SHARE``)."""
    for _ in range(budget):
        spots = _letters(text)
        if len(spots) < 3:
            break
        i = _typo_spot(text, spots, rng)
        op = rng.randrange(4)
        neighbours = {text[i - 1] if i else "", text[i + 1] if i + 1 < len(text) else "", text[i]}
        fresh = rng.choice([c for c in _ALPHABET if c not in neighbours])
        if op == 0:
            text = text[:i] + fresh + text[i + 1 :]
        elif op == 1:
            text = text[:i] + text[i + 1 :]
        elif op == 2:
            text = text[:i] + fresh + text[i:]
        elif i + 1 < len(text) and text[i + 1].isalpha():
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text


def typo_strings(text: str, budget: int) -> set[str]:
    """Every string :func:`_typo` can make from ``text`` with up to ``budget`` edits: the misspellings the
    benchmark counts in recall. A benign query word among them cannot be told from a generated misspelling by its
    letters alone (``bench/deterrence.py --sweep`` counts how many false positives are such strings). ``text``
    itself is one of them: swapping the last letter with nothing leaves it unchanged."""
    found: set[str] = set()
    level = {text}
    for _ in range(budget):
        following: set[str] = set(level)  # a swap at the last letter, or before a non-letter, changes nothing
        for current in level:
            spots = _letters(current)
            if len(spots) < 3:
                continue
            for i in spots:
                neighbours = {current[i - 1] if i else "", current[i + 1] if i + 1 < len(current) else "", current[i]}
                head, tail = current[:i], current[i + 1 :]
                for fresh in _ALPHABET:
                    if fresh not in neighbours:
                        following.add(head + fresh + tail)
                        following.add(head + fresh + current[i:])
                following.add(head + tail)
                if tail and tail[0].isalpha():
                    following.add(head + tail[0] + current[i] + tail[1:])
        level = following
        found |= following
    return found


Transform = Callable[[str, random.Random], str]

#: Every transformation, by name; order is the order they are applied in when combined.
TRANSFORMS: dict[str, Transform] = {
    "typo": lambda t, r: t,  # placeholder replaced per rule (its budget depends on the rule's length)
    "split": _split,
    "run_together": _run_together,
    "repeat": _repeat,
    "case": _case,
    "leet": _leet,
    "lookalike": _lookalike,
    "diacritics": _diacritics,
    "separators": _separate,
    "fullwidth": _fullwidth,
    "math_letters": _math_letters,
    "zero_width": _zero_width,
}
# Transformations that change characters' code points and so cannot follow each other meaningfully.
_EXCLUSIVE = {"leet", "lookalike", "fullwidth", "math_letters"}


@dataclass(frozen=True, slots=True)
class Variant:
    """One obfuscated query and the transformations that made it."""

    query: str
    transforms: tuple[str, ...]


def variants(rule: Rule, *, count: int = 120, seed: int = 0) -> Iterator[Variant]:
    """``count`` obfuscated queries for a term rule: every transformation alone, then random combinations.

    Misspellings stay within the rule's own edit allowance (none under 6 normalised characters), and
    ``run_together`` only glues a phrase's words together or glues a whole-word rule to a context word.
    """
    if rule.kind is not RuleKind.TERM:
        return
    text = rule.texts[0]
    budget = allowed_edits(len(normalise(text).despaced)) if rule.fuzzy else 0
    names = [n for n in TRANSFORMS if n != "typo" or budget]
    rng = random.Random(f"{seed}:{rule.canonical}")
    combos: list[tuple[str, ...]] = [(n,) for n in names]
    pairs = [c for c in combinations(names, 2) if len(_EXCLUSIVE.intersection(c)) <= 1]
    combos += pairs
    while len(combos) < count:
        size = rng.randint(3, 5)
        pick = tuple(n for n in names if n in rng.sample(names, size))
        if len(_EXCLUSIVE.intersection(pick)) <= 1:
            combos.append(pick)
    for combo in combos[:count]:
        query = text
        for name in combo:
            query = _typo(query, rng, budget) if name == "typo" else TRANSFORMS[name](query, rng)
        yield Variant(query, combo)

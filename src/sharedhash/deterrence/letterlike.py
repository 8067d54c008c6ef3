"""The letter-like table: every code point that reads as a Latin letter or digit, generated from Unicode's data.

``data/letterlike.tsv.gz`` is written by ``python -m sharedhash.deterrence.build_letterlike`` from the character
names, digit values and compatibility decompositions of Python's ``unicodedata`` and the full UTS #39
confusables table; its header records both versions (:func:`table_versions`).
"""

from __future__ import annotations

import gzip
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from sharedhash.deterrence.errors import LetterlikeFileError

FORMAT = "sharedhash-letterlike 1"
LETTERLIKE_FILE = "letterlike.tsv.gz"


class Source(StrEnum):
    """Which data says a code point reads as a letter or digit (shown by ``sharedhash deter explain``)."""

    NAME = "name"  # its Unicode name or digit value
    DECOMPOSITION = "decomposition"  # its compatibility decomposition
    CONFUSABLE = "confusable"  # UTS #39 confusables (or the few look-alikes it leaves out)
    SYMBOL = "symbol"  # a symbol or emoji that reads as a letter


@lru_cache(maxsize=1)
def _load() -> tuple[dict[str, str], dict[int, str], dict[int, Source]]:
    path = f"sharedhash/deterrence/data/{LETTERLIKE_FILE}"
    try:
        data = resources.files("sharedhash.deterrence").joinpath("data", LETTERLIKE_FILE).read_bytes()
        lines = gzip.decompress(data).decode("utf-8").rstrip("\n").split("\n")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise LetterlikeFileError(f"cannot read {path}: {exc}") from None
    if not lines or lines[0] != f"# {FORMAT}":
        raise LetterlikeFileError(f"{path} is not a table of format {FORMAT!r}")
    header: dict[str, str] = {}
    readings: dict[int, str] = {}
    sources: dict[int, Source] = {}
    for line in lines[1:]:
        if line.startswith("# "):
            key, _, value = line[2:].partition(" ")
            header[key] = value
            continue
        try:
            code, reading, source = line.split("\t")
            readings[int(code, 16)] = reading
            sources[int(code, 16)] = Source(source)
        except ValueError:
            raise LetterlikeFileError(f"{path}: bad line {line!r}") from None
    return header, readings, sources


def letterlike_table() -> dict[int, str]:
    """``str.translate`` table: code point -> the lower-case ASCII letters or digits it reads as."""
    return _load()[1]


def letterlike_source(code: int) -> Source | None:
    """Which data maps ``code`` (``None`` when the table does not hold it)."""
    return _load()[2].get(code)


def table_versions() -> dict[str, str]:
    """The data versions the table was built from: ``{"unicode": ..., "confusables": ...}``."""
    header = _load()[0]
    return {"unicode": header.get("unicode", "unknown"), "confusables": header.get("confusables", "unknown")}

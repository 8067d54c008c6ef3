"""Attested words: the rarer words a word-frequency list has seen in real text, kept compactly as 32-bit digests.

The lexicon (:mod:`sharedhash.deterrence.lexicon`) holds the 100,000 most frequent words of each language, which
the matcher also searches, glues and counts at compile time. Below them, wordfreq lists another 1.9 million words
seen in real text (names, compounds, rare inflections, product and program names: "fishhook", "igoogle"). With
10,000 rules, such a word one edit from a rule was most of the false positives left on real text: it is an
ordinary word of some language, not a misspelt term. These words are kept apart from the lexicon, as a sorted
array of the CRC-32 of their skeletons (4 bytes a word, about 7.5 MB in memory), and are asked about only when a
rule has fired on a query word by misspelling or inside it: never on the hot path of a query nothing matched.

A digest can collide: an unattested word is taken for attested with the probability (attested words) / 2**32,
0.05% for the default data, and only a misspelt or inside-word match on that very word is then lost.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from sharedhash.deterrence.errors import LexiconFileError
from sharedhash.deterrence.lexicon_data import normaliser_fingerprint
from sharedhash.errors import FileAccessError

FORMAT = "sharedhash-attested 1"
DEFAULT_FILE = "attested.bin.gz"
#: Only skeletons this long are kept: shorter query words are never matched by misspelling (``ONE_EDIT_FROM``
#: less the one edit) nor hold a term inside them (``INSIDE_WORD_MIN`` plus a letter).
MIN_LETTERS = 5


def digest(skeleton: str) -> int:
    """The 32-bit digest a skeleton is kept as (CRC-32 of its UTF-8 bytes: stable across processes)."""
    return zlib.crc32(skeleton.encode("utf-8"))


@dataclass(frozen=True, slots=True, eq=False)
class AttestedWords:
    """A set of word skeletons seen in real text, as sorted 32-bit digests (see the module docstring)."""

    digests: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint32))
    source: str = ""

    @classmethod
    def from_words(cls, words: Iterable[str], source: str = "") -> AttestedWords:
        """The attested set of ``words`` (skeletons; those shorter than ``MIN_LETTERS`` are left out)."""
        values = np.fromiter((digest(w) for w in words if len(w) >= MIN_LETTERS), dtype=np.uint32)
        return cls(np.unique(values), source)

    def __contains__(self, skeleton: object) -> bool:
        if not isinstance(skeleton, str) or len(skeleton) < MIN_LETTERS or not len(self.digests):
            return False
        value = digest(skeleton)
        digests = self.digests
        at = int(np.searchsorted(digests, value))
        return at < len(digests) and int(digests[at]) == value

    def __len__(self) -> int:
        return len(self.digests)

    def __bool__(self) -> bool:
        return bool(len(self.digests))

    def __repr__(self) -> str:
        return f"AttestedWords({len(self)} digests)"

    def write(self, path: Path, fingerprint: str) -> None:
        """Write as a data file: a text header (format, normaliser fingerprint, source), then the gaps between
        the sorted digests as little-endian 32-bit integers, gzip-compressed (the gaps are small: 3 MB)."""
        gaps = np.diff(self.digests, prepend=np.uint32(0)).astype("<u4")
        header = f"# {FORMAT}\n# normaliser {fingerprint}\n# source {self.source}\n# count {len(self)}\n"
        with gzip.GzipFile(path, "wb", mtime=0) as out:
            out.write(header.encode("utf-8"))
            out.write(gaps.tobytes())


def read_attested(data: bytes, fingerprint: str, name: str = "attested data") -> AttestedWords:
    """Parse a data file's bytes (gzip-compressed) as :meth:`AttestedWords.write` wrote them."""
    try:
        raw = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        raise LexiconFileError(f"{name}: not a gzip file ({exc})") from None
    lines: dict[str, str] = {}
    at = 0
    for key in ("format", "normaliser", "source", "count"):
        end = raw.find(b"\n", at)
        line = raw[at:end].decode("utf-8", errors="replace") if end >= 0 else ""
        if end < 0 or not line.startswith("# "):
            raise LexiconFileError(f"{name}: truncated header")
        lines[key] = line[2:] if key == "format" else line[2:].partition(" ")[2]
        at = end + 1
    if lines["format"] != FORMAT:
        raise LexiconFileError(f"{name}: not a {FORMAT!r} file (first line {lines['format']!r})")
    if lines["normaliser"] != fingerprint:
        raise LexiconFileError(
            f"{name}: built by another normaliser ({lines['normaliser']}, this one is {fingerprint}); rebuild it with "
            "python -m sharedhash.deterrence.build_lexicon"
        )
    body = raw[at:]
    count = int(lines["count"]) if lines["count"].isdigit() else -1
    if len(body) != 4 * count:
        raise LexiconFileError(f"{name}: {len(body)} bytes of digests for a count of {lines['count']}")
    sums = np.cumsum(np.frombuffer(body, dtype="<u4"), dtype=np.uint64)
    if count and int(sums[-1]) >= 2**32:
        raise LexiconFileError(f"{name}: digests out of range")
    return AttestedWords(sums.astype(np.uint32), lines["source"])


def read_attested_file(path: Path, fingerprint: str) -> AttestedWords:
    """Read an attested-words data file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise FileAccessError(f"cannot read attested words {str(path)!r}: {exc.strerror or exc}") from None
    return read_attested(data, fingerprint, str(path))


@lru_cache(maxsize=1)
def default_attested() -> AttestedWords:
    """The shipped attested words (see ``data/README.md``; loaded once per process, about 0.1 s)."""
    resource = resources.files("sharedhash.deterrence").joinpath("data", DEFAULT_FILE)
    return read_attested(resource.read_bytes(), normaliser_fingerprint(), DEFAULT_FILE)

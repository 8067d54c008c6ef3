"""Approximate matching of words: a deletion-neighbourhood index (as SymSpell does) and a bounded edit distance.

Two strings within k edits share a string reachable from each by at most k deletions, so indexing every rule
word's deletions lets a query word find its candidates with a few dictionary look-ups instead of comparing
against all 10,000 rules; each candidate is then confirmed with the real distance. The look-up runs in the C
kernel ``_fuzzykernel`` when it was built (about 15x faster on queries of words outside the lexicon), else in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType
from typing import Any

#: Fuzzy matching starts at this many characters (one edit), and allows two edits from ``TWO_EDITS_FROM``.
#: Shorter words are too close to too many ordinary words for a typo allowance to be safe.
ONE_EDIT_FROM = 6
TWO_EDITS_FROM = 10


def _load_native() -> ModuleType | None:
    try:
        from sharedhash.deterrence import _fuzzykernel  # type: ignore[attr-defined]
    except ImportError:
        return None
    return _fuzzykernel  # type: ignore[no-any-return]


NATIVE: ModuleType | None = _load_native()


def allowed_edits(length: int) -> int:
    """How many edits a rule word of ``length`` normalised characters tolerates."""
    if length >= TWO_EDITS_FROM:
        return 2
    return 1 if length >= ONE_EDIT_FROM else 0


def lookup_depth(length: int) -> int:
    """How many deletions of a candidate of ``length`` characters a look-up needs: its own length's allowance.

    A word of L characters within d <= allowed_edits(L) edits of the candidate shares with it a string of at least
    L - d characters reached by at most d deletions from each (a substitution or swap is one deletion from each,
    an insertion one from the longer). The candidate then needs n - (L - d) deletions; L - d is at least
    ONE_EDIT_FROM - 1 for a one-edit word and TWO_EDITS_FROM - 2 for a two-edit word, so a candidate shorter
    than ONE_EDIT_FROM needs none and one shorter than TWO_EDITS_FROM needs one at most.
    """
    return allowed_edits(length)


def deletions(word: str, depth: int) -> set[str]:
    """``word`` and every string obtained from it by deleting up to ``depth`` characters."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


def edit_distance(a: str, b: str, limit: int, *, spanning: bool = True) -> int:
    """The edit distance of ``a`` and ``b``, or ``limit + 1`` if larger: a letter inserted, left out or replaced, or
    two neighbours swapped, each one edit (optimal string alignment), and with ``spanning`` also two letters swapped
    with one letter inserted or left out between them, two edits ("riz" -> "zr"). Optimal string alignment edits
    no substring twice, so it counts that as three; a typist's two slips, one after the other, make it (the
    unrestricted Damerau-Levenshtein distance, which this equals whenever it is at most 2, the largest
    allowance). Without ``spanning``: optimal string alignment, as the lexicon's neighbourhood counts were set."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    prev3: list[int] = []
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        best = i
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            value = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                value = min(value, prev2[j - 2] + 1)
            if spanning:
                if i > 2 and j > 1 and a[i - 1] == b[j - 2] and a[i - 3] == b[j - 1]:
                    value = min(value, prev3[j - 2] + 2)
                if i > 1 and j > 2 and a[i - 1] == b[j - 3] and a[i - 2] == b[j - 1]:
                    value = min(value, prev2[j - 3] + 2)
            cur[j] = value
            best = min(best, value)
        # Any swap reaching back past this row costs one more than a value of it: no later row gets back under.
        if best > limit:
            return limit + 1
        prev3, prev2, prev = prev2, prev, cur
    return min(prev[len(b)], limit + 1)


class DeletionIndex:
    """Words, each with its own edit allowance, found from a query word by shared deletions."""

    def __init__(self, *, cache_size: int = 0, native: bool | None = None) -> None:
        """``cache_size`` > 0 keeps that many look-up answers (see :meth:`lookup`); 0 keeps nothing. ``native``
        picks the C kernel or the Python code (default: the kernel when it was built); both answer the same."""
        if native and NATIVE is None:
            raise RuntimeError("the fuzzy look-up kernel sharedhash.deterrence._fuzzykernel was not built")
        self.native = NATIVE is not None if native is None else native
        self._kernel: Any = None
        self.cache_size = cache_size
        self._words: list[str] = []
        self._edits: list[int] = []
        # The Python look-up's deletion keys, built on its first look-up (see _python_keys): the C kernel builds its
        # own tables from the words. Built with every word added, they were most of a 10,000-rule list's compile
        # time with the kernel, with the garbage collections their million small lists set off (measured: 12.5-14.5 s
        # CPU with them, 4.2-4.8 s without).
        self._keys: dict[str, list[int]] = {}
        self._keyed = 0  # how many words _keys holds the deletions of
        self._cache: dict[str, tuple[tuple[int, int], ...]] = {}
        self.max_length = 0

    def add(self, word: str, length: int | None = None) -> int:
        """Index ``word`` with the allowance of a word of ``length`` characters (default: its own length); return
        its id. A rule's form with its repeated letters kept takes the allowance of its collapsed skeleton: the
        repeats carry no information, so they must not buy more edits ("reiffflesk" is 8 letters, not 10)."""
        edits = allowed_edits(len(word) if length is None else min(length, len(word)))
        ident = len(self._words)
        self._words.append(word)
        self._edits.append(edits)
        self.max_length = max(self.max_length, len(word))
        self._cache.clear()
        self._kernel = None
        return ident

    def __len__(self) -> int:
        return len(self._words)

    def allowance(self, ident: int) -> int:
        """The edit allowance of the word with id ``ident``."""
        return self._edits[ident]

    def prepare(self) -> None:
        """Build the C kernel's tables now rather than on the first look-up (a few hundred ms for 10,000 rules)."""
        if self.native and self._kernel is None and self._words:
            assert NATIVE is not None
            self._kernel = NATIVE.Index(self._words, self._edits, spanning=True)

    def kernel(self) -> Any:
        """The C kernel's index when look-ups go to it directly (native, built, no cache), else ``None``."""
        if not self.native or self.cache_size or not self._words:
            return None
        self.prepare()
        return self._kernel

    def lookup(self, candidate: str) -> Iterable[tuple[int, int]]:
        """Ids and distances of indexed words within their allowance of ``candidate`` (exact equality excluded),
        fewest edits first, then by id (so the kernel and the Python code answer in the same order).

        With a cache, answers are kept in memory by query word (never with anything else about the query), since
        search words follow a Zipf distribution and most look-ups repeat; it is emptied when full. It is off by
        default because it holds fragments of recent queries in memory.
        """
        n = len(candidate)
        if n < ONE_EDIT_FROM - 1 or n > self.max_length + 2:
            return ()
        if not self.cache_size:
            if self.native and self._kernel is not None:  # the common case, without another call
                return self._kernel.lookup(candidate, lookup_depth(n))  # type: ignore[no-any-return]
            return self._lookup(candidate, n)
        cached = self._cache.get(candidate)
        if cached is None:
            if len(self._cache) >= self.cache_size:
                self._cache.clear()
            cached = self._cache[candidate] = tuple(self._lookup(candidate, n))
        return cached

    def lookup_uncached(self, candidate: str) -> list[tuple[int, int]]:
        """:meth:`lookup` without the cache, for words that are not queries (the matcher's own compile-time use)."""
        n = len(candidate)
        if n < ONE_EDIT_FROM - 1 or n > self.max_length + 2:
            return []
        return self._lookup(candidate, n)

    def _lookup(self, candidate: str, n: int) -> list[tuple[int, int]]:
        depth = lookup_depth(n)
        if self.native:
            self.prepare()
            return self._kernel.lookup(candidate, depth)  # type: ignore[no-any-return]
        seen: set[int] = set()
        out: list[tuple[int, int]] = []
        keys = self._python_keys()
        for key in deletions(candidate, depth):
            for ident in keys.get(key, ()):
                if ident in seen:
                    continue
                seen.add(ident)
                word = self._words[ident]
                if word == candidate:
                    continue
                distance = edit_distance(candidate, word, self._edits[ident])
                if distance <= self._edits[ident]:
                    out.append((ident, distance))
        out.sort(key=_fewest_edits)
        return out

    def _python_keys(self) -> dict[str, list[int]]:
        """Every indexed word's deletions up to its allowance, to the ids of the words they come from."""
        keys = self._keys
        for ident in range(self._keyed, len(self._words)):
            for key in deletions(self._words[ident], self._edits[ident]):
                keys.setdefault(key, []).append(ident)
        self._keyed = len(self._words)
        return keys


def neighbourhood_sizes(words: list[str], others: Iterable[str], edits: int = 2) -> list[int]:
    """For each of ``words``, how many strings of ``others`` other than itself lie within ``edits`` edits of it
    (0-2). With the C kernel, one look-up per string of ``others`` (0.6 s CPU for 3,700 rule words against the
    default lexicon); without it, the same count from both sides' deletions in Python (much slower)."""
    if not words:
        return []
    counts = [0] * len(words)
    shortest = min(len(w) for w in words) - edits
    longest = max(len(w) for w in words) + edits
    if NATIVE is not None:
        index = NATIVE.Index(words, [edits] * len(words))
        for other in others:
            if shortest <= len(other) <= longest:
                for ident, _ in index.lookup(other, edits):
                    counts[ident] += 1
        return counts
    keys: dict[str, list[int]] = {}
    for ident, word in enumerate(words):
        for key in deletions(word, edits):
            keys.setdefault(key, []).append(ident)
    for other in others:
        if shortest <= len(other) <= longest:
            found = {ident for key in deletions(other, edits) for ident in keys.get(key, ())}
            for ident in found:
                if words[ident] != other and edit_distance(other, words[ident], edits, spanning=False) <= edits:
                    counts[ident] += 1
    return counts


def _fewest_edits(hit: tuple[int, int]) -> tuple[int, int]:
    return hit[1], hit[0]

"""The compiled matcher: one Aho-Corasick automaton over every rule's skeleton, plus word and fuzzy indexes.

``Matcher(term_list).check(query)`` answers whether to deter, which rules fired and why. Unless its optional
fuzzy cache is on, it keeps nothing about the queries it sees: the result is the only place a query's normal
form appears.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from enum import StrEnum
from itertools import chain, zip_longest
from typing import Any

import ahocorasick

from sharedhash.deterrence.frequent import frequent_compound
from sharedhash.deterrence.fuzzy import (
    NATIVE,
    ONE_EDIT_FROM,
    TWO_EDITS_FROM,
    DeletionIndex,
    allowed_edits,
    edit_distance,
    lookup_depth,
    neighbourhood_sizes,
)
from sharedhash.deterrence.lexicon import MAX_AFFIX, MIN_COMPOUND_PART, MIN_STEM, Lexicon, default_lexicon
from sharedhash.deterrence.normalise import (
    DIGIT_LETTERS,
    NormalisedText,
    QueryNote,
    camel_joins,
    collapse_repeats,
    identifier_words,
    normalise,
    number_words,
    only_reading,
    plain_words,
    readings,
)
from sharedhash.deterrence.rules import Rule, RuleKind, TermList

#: Default longest query checked, in characters; longer ones are checked on this prefix and noted as truncated.
DEFAULT_MAX_QUERY_CHARS = 1000
#: A term's skeleton shorter than this matches only whole words, never inside a longer word, because short
#: letter strings occur inside too many ordinary words.
INSIDE_WORD_MIN = 5
#: Words longer than this that are not lexicon words are also searched for a misspelt term at their beginning
#: or end ("zorblqxvideo"): a misspelling glued to another word.
ANCHORED_FROM = 7
#: The shortest ordinary word a misspelt term is looked for beside, inside one query word.
MIN_GLUED = 2
#: How many neighbouring words are joined to find a split or misspelt phrase ("zor blax", "zorblqx quuxvid").
MAX_JOINED_WORDS = 3
#: A fuzzy hit on a whole query word one edit from a lexicon word, with the edit among its last this many
#: letters ("rompez" + "s"), is taken for a rare form of that word (measured on 1,000 rules and 100,000 tuning
#: queries: false positives 52 -> 17 per 100,000, recall 99.29% -> 99.12%; any edit: 14, but recall 98.97%).
NEXT_TO_WORD_END = 2
#: The shortest fuzzy word (normalised letters) whose misspellings count glued to another word ("zorblqxvideo").
#: Shorter rules still match misspelt as whole words, and exactly when glued (measured at 10,000 rules on the
#: tuning halves: most of the Debian word-list false positives were such glued matches of 6-7 letter rules).
GLUED_FUZZY_FROM = 8
#: The shortest glued candidate (a word's beginning or end) that can be within the allowance of a fuzzy word of
#: ``GLUED_FUZZY_FROM`` or more letters: a shorter one only ever reaches the short fuzzy words whose glued
#: matches do not count, so it is not looked up (7 letters: an 8-letter word less one edit).
GLUED_CANDIDATE_FROM = min(n - allowed_edits(n) for n in range(GLUED_FUZZY_FROM, GLUED_FUZZY_FROM + TWO_EDITS_FROM))
#: A misspelling typed without disguise (see ``normalise.plain_words``) of a rule shorter than this many letters
#: as written counts only with the rule's first letter: real misspellings rarely get a word's first letter wrong
#: (Yannakoudakis & Fawthrop 1983; Pollock & Zamora 1984; see ``variants.FIRST_LETTER_SHARE``), while a short
#: rule's one-edit neighbours with another first letter are ordinary identifiers and names ("zompgen" and
#: "compgen"). The value of GLUED_FUZZY_FROM (which counts normalised letters): 6-7 letter rules, one edit.
FIRST_LETTER_FROM = 8
#: A one-edit rule word (``ONE_EDIT_FROM`` to ``TWO_EDITS_FROM`` - 1 letters) with at least this many lexicon words
#: within ``NEIGHBOURHOOD_EDITS`` edits of its skeleton lies in a dense part of the language: the words of the
#: lexicon are the frequent ones, and the rare words, names and identifiers no lexicon lists lie around them, so
#: a word typed without disguise one edit from such a rule is more often one of those than the rule misspelt. Such
#: a rule's plain misspellings do not count; exact matches and misspellings with evidence of disguise do. Set from
#: the lexicon's data: the 95th percentile of the benchmark's 3,748 one-edit rule words (half have none). Since
#: issue 16's seventh pass, only such a plain misspelling that is itself one edit from a lexicon word is refused:
#: one that lies in the dense part too. A slip that took the word away from every lexicon word (a letter
#: inserted, two swapped: "tauhnke" for "taunke") is no rare form of one; with 2,000 rules, plain misspellings
#: of dense rules were 51 of about 120 ``typo`` misses on the tuning half over seven rule draws, half of them one
#: edit from no lexicon word, while the rare words the refusal stops are all but one next to a lexicon word
#: ("groonga", "binem"; "karush" is not).
DENSE_NEIGHBOURHOOD = 36
NEIGHBOURHOOD_EDITS = 2
#: A letter typed three or more times in a row: a deliberate repeat, not a slip (see ``typed_within``).
_TRIPLE = re.compile(r"(.)\1\1")
#: A plain one-word misspelling that is a common word of this many letters or more with at most
#: ``HELD_WORD_EXTRA`` letters added, a word the rule does not hold, is that word formed, not the rule misspelt
#: (see ``Matcher.common_word_added_to``; chosen on the tuning halves at 10,000 rules: any 5+ letter common word
#: inside the query word cost the ``typo`` family 3.6 points, 97.3% -> 93.7%; with two letters added at most,
#: nothing).
HELD_WORD_FROM = 5
HELD_WORD_EXTRA = 2
#: A term found inside a longer word does not count if a common lexicon word of this many letters or more in that
#: word shares this many letters with it and runs past its beginning or end (see ``Matcher.common_word_across``).
ACROSS_WORD_FROM = 5
ACROSS_SHARED = 2
#: A term found inside this many longer lexicon words is part of how the language forms words: it is not
#: counted inside a longer query word, only as whole words (measured on the benchmark's tuning words).
INSIDE_LEXICON_WORDS = 3


class MatchHow(StrEnum):
    """Why a rule fired, for term-list maintainers."""

    WORD = "word"  # the skeleton equals whole query words
    JOINED = "joined"  # the skeleton spans query words run together or split by separators
    INSIDE_WORD = "inside_word"  # the skeleton sits inside a longer query word
    FUZZY = "fuzzy"  # within the rule's edit allowance of query words
    FUZZY_INSIDE_WORD = "fuzzy_inside_word"  # misspelt, at the start or end of a word glued to an ordinary word
    NEAR = "near"  # both words of a co-occurrence rule, close enough


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """One rule that fired on a query, and how."""

    rule: Rule
    how: MatchHow
    matched: str  # the normalised query text that matched
    distance: int  # edits, for fuzzy matches; words apart, for near matches; else 0
    span: tuple[int, int]  # offsets in the despaced normal form
    reading: str = "as received"  # which reading of the query (see normalise.readings) it fired on

    def explain(self) -> str:
        """One line for maintainers: the rule, what in the normalised query matched, and how."""
        rule = self.rule.to_line()
        if self.how is MatchHow.FUZZY:
            detail = f"{self.distance} edit{'s' if self.distance != 1 else ''} from the rule"
        elif self.how is MatchHow.FUZZY_INSIDE_WORD:
            detail = f"{self.distance} edit{'s' if self.distance != 1 else ''} from the rule, glued to another word"
        elif self.how is MatchHow.NEAR:
            detail = f"words {self.distance} apart (rule allows {self.rule.within})"
        else:
            detail = {
                MatchHow.WORD: "whole words",
                MatchHow.JOINED: "words run together or split by separators",
                MatchHow.INSIDE_WORD: "inside a longer word",
            }[self.how]
        read = "" if self.reading == "as received" else f", reading: {self.reading}"
        return f"[{self.rule.rule_id}] {rule}: {self.how} match on {self.matched!r} ({detail}{read})"

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form, with the rule's id, canonical value and the explanation."""
        return {
            "rule_id": self.rule.rule_id,
            "rule": self.rule.to_dict(),
            "how": self.how.value,
            "matched": self.matched,
            "distance": self.distance,
            "reading": self.reading,
            "explanation": self.explain(),
        }


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The answer for one query: deter or not, the rules that fired (most severe first), and query notes.

    ``normalised`` and each match's ``matched`` are derived from the query: show them to maintainers, and never
    store or log them in a service.
    """

    deter: bool
    matches: tuple[RuleMatch, ...]
    suppressed: tuple[RuleMatch, ...]
    normalised: str
    notes: tuple[QueryNote, ...]

    @property
    def top(self) -> RuleMatch | None:
        """The most severe match, which picks the message, or ``None``."""
        return self.matches[0] if self.matches else None

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form for the CLI and for maintainers' tools."""
        return {
            "deter": self.deter,
            "matches": [m.to_dict() for m in self.matches],
            "suppressed": [m.to_dict() for m in self.suppressed],
            "normalised": self.normalised,
            "notes": [n.value for n in self.notes],
        }


@dataclass(frozen=True, slots=True)
class _Target:
    """A skeleton the automaton finds, with the term or allow rules that own it."""

    key: str
    terms: tuple[int, ...]
    allows: tuple[int, ...]


class Matcher:
    """Rules compiled for fast checking. Build once per term-list version; ``check`` is thread-safe."""

    def __init__(
        self,
        rules: TermList | Iterable[Rule],
        *,
        lexicon: Lexicon | None = None,
        max_query_chars: int = DEFAULT_MAX_QUERY_CHARS,
        fuzzy_cache: int = 0,
    ) -> None:
        """Compile ``rules``. The ``lexicon`` (see :mod:`sharedhash.deterrence.lexicon`; default: the shipped
        :func:`~sharedhash.deterrence.lexicon.default_lexicon`) says what an ordinary word is: a query word
        in it is never a fuzzy or inside-word match, and misspelt terms are also looked for where glued to a
        common word. With an empty ``Lexicon()``, a term of ``INSIDE_WORD_MIN`` letters counts anywhere inside a
        word and glued misspellings are not looked for. ``fuzzy_cache`` > 0
        keeps that many fuzzy look-up answers by query word in memory (faster on real traffic; off by default,
        because it holds fragments of recent queries)."""
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.lexicon = lexicon if lexicon is not None else default_lexicon()
        self.max_query_chars = max_query_chars
        terms: dict[str, list[int]] = defaultdict(list)
        phrases: set[str] = set()  # term keys of rules written as several words
        allows: dict[str, list[int]] = defaultdict(list)
        self._near_words: dict[str, list[tuple[int, int]]] = defaultdict(list)
        self._fuzzy = DeletionIndex(cache_size=fuzzy_cache)
        self._fuzzy_owners: list[list[tuple[int, int]]] = []  # per fuzzy word: (rule index, near part or -1)
        fuzzy_ids: dict[str, int] = {}

        skeleton_length: dict[int, int] = {}  # fuzzy word id -> letters of the collapsed skeleton it stands for
        collapsed: dict[str, list[tuple[int, int]]] = defaultdict(list)  # one-edit rule skeleton -> its owners
        self._skeletons: list[str] = []
        self._rule_words: list[int] = []  # per rule, how many words its (first) text normalises to
        self._written: list[tuple[str, ...]] = []  # per rule and text, its letters as written (see _as_written)
        self._with_digits: list[tuple[tuple[str, ...], ...]] = []  # per rule and text, see digits_as_letters
        self._key_ids: dict[int, int] = {}  # per fuzzy term rule, the fuzzy word id of its skeleton

        def add_fuzzy(word: str, owner: tuple[int, int], length: int) -> None:
            if word in fuzzy_ids and owner in self._fuzzy_owners[fuzzy_ids[word]]:
                return
            if word not in fuzzy_ids:
                fuzzy_ids[word] = self._fuzzy.add(word, length)
                skeleton_length[fuzzy_ids[word]] = length
                self._fuzzy_owners.append([])
            self._fuzzy_owners[fuzzy_ids[word]].append(owner)

        for index, rule in enumerate(self.rules):
            forms = [normalise(t) for t in rule.texts]
            self._rule_words.append(len(forms[0].tokens))
            self._skeletons.append(forms[0].despaced)
            self._written.append(tuple(as_written(form) for form in forms))
            self._with_digits.append(tuple(digits_as_letters(t) for t in rule.texts))
            if rule.kind is RuleKind.ALLOW:
                allows[forms[0].despaced].append(index)
            elif rule.kind is RuleKind.TERM:
                key = forms[0].despaced
                terms[key].append(index)
                if len(forms[0].tokens) > 1:
                    phrases.add(key)
                if rule.fuzzy:
                    add_fuzzy(key, (index, -1), len(key))
                    self._key_ids[index] = fuzzy_ids[key]
                    if allowed_edits(len(key)) == 1:
                        collapsed[key].append((index, -1))
                    add_fuzzy(normalise(rule.texts[0], collapse=False).despaced, (index, -1), len(key))
            else:
                for part, form in enumerate(forms):
                    self._near_words[form.despaced].append((index, part))
                    if rule.fuzzy:
                        add_fuzzy(form.despaced, (index, part), len(form.despaced))
                        if allowed_edits(len(form.despaced)) == 1:
                            collapsed[form.despaced].append((index, part))
        self._fuzzy.prepare()
        # Rules (with their near part, or -1) in a dense neighbourhood of lexicon words: see DENSE_NEIGHBOURHOOD.
        self._dense: frozenset[tuple[int, int]] = frozenset()
        if self.lexicon and collapsed:
            skeletons = list(collapsed)
            sizes = neighbourhood_sizes(skeletons, self.lexicon.words, NEIGHBOURHOOD_EDITS)
            dense = [key for key, size in zip(skeletons, sizes, strict=True) if size >= DENSE_NEIGHBOURHOOD]
            self._dense = frozenset(owner for key in dense for owner in collapsed[key])
        # Fuzzy words with a lexicon word within their allowance ("bedroon", one edit from "bedroom"): their
        # misspellings glued to another word are mostly rare real words, so such matches do not count for them
        # (measured on the benchmark's tuning words: a third of the false positives, 0.06 points of recall).
        self._word_like = self._fuzzy_words_near_the_lexicon()
        # Short fuzzy words are not looked for misspelt and glued to another word either: with 10,000 rules, the
        # beginnings and ends of rare words of other languages are within one edit of them far too often
        # (measured on Debian's tuning words, see GLUED_FUZZY_FROM).
        self._word_like |= frozenset(i for i, n in skeleton_length.items() if n < GLUED_FUZZY_FROM)
        self._automaton: ahocorasick.Automaton | None = None
        if terms or allows:
            automaton = ahocorasick.Automaton()
            for key in set(terms) | set(allows):
                automaton.add_word(key, _Target(key, tuple(terms.get(key, ())), tuple(allows.get(key, ()))))
            automaton.make_automaton()
            self._automaton = automaton
        self._term_keys = frozenset(terms)
        self._phrase_keys = frozenset(phrases)
        self._inside_lexicon_words = self._terms_inside_lexicon_words()
        # What may be glued before or after a misspelt term (see _glued): common words, except the most
        # productive affixes, or another rule's term.
        self._glue_common_before = (self.lexicon.common - self.lexicon.productive_prefixes) | self._term_keys
        self._glue_common_after = (self.lexicon.common - self.lexicon.productive_suffixes) | self._term_keys
        # The sets Index.hits looks slices up in, and Bloom filters of them, built on the first query (see _fuzzy_hits).
        self._kernel_sets: tuple[tuple[frozenset[str], ...], tuple[Any, ...]] | None = None

    def __len__(self) -> int:
        return len(self.rules)

    def in_dense_neighbourhood(self, rule: Rule) -> bool:
        """Whether ``rule`` (or a word of a near rule) has ``DENSE_NEIGHBOURHOOD`` or more lexicon words within
        ``NEIGHBOURHOOD_EDITS`` edits, so that its misspellings typed without disguise do not count."""
        return any(self.rules[index] == rule for index, _ in self._dense)

    def _terms_inside_lexicon_words(self) -> frozenset[str]:
        """Term skeletons found inside ``INSIDE_LEXICON_WORDS`` or more longer lexicon words (0.4 s CPU for
        10,000 rules and the default lexicon)."""
        if self._automaton is None or not self.lexicon:
            return frozenset()
        counts: dict[str, int] = defaultdict(int)
        for word in self.lexicon.words:
            if len(word) > INSIDE_WORD_MIN:
                for _, target in self._automaton.iter(word):
                    if target.terms and INSIDE_WORD_MIN <= len(target.key) < len(word):
                        counts[target.key] += 1
        return frozenset(key for key, count in counts.items() if count >= INSIDE_LEXICON_WORDS)

    def _fuzzy_words_near_the_lexicon(self) -> frozenset[int]:
        """Ids of the fuzzy words some lexicon word is within the allowance of (0.6 s CPU for 10,000 rules and
        the default lexicon with the C kernel; several seconds without it)."""
        index = self._fuzzy
        if not self.lexicon or not len(index):
            return frozenset()
        longest = index.max_length + 2
        found: set[int] = set()
        for word in self.lexicon.words:
            if ONE_EDIT_FROM - 1 <= len(word) <= longest:
                found.update(ident for ident, _ in index.lookup_uncached(word))
        return frozenset(found)

    def check(self, query: str | bytes) -> CheckResult:
        """Check one query. Never raises for any string or bytes: empty, huge or binary input is noted instead.

        Every reading of the query (see :func:`~sharedhash.deterrence.normalise.readings`: its decodings, and
        symbols read as letters and as separators) is checked; a rule fires if it fires on any of them.
        """
        only = only_reading(query, max_chars=self.max_query_chars)
        if only is not None:
            # One reading, the query as received (the common case): its answer, without the loop below (measured).
            return self.check_normalised(only)
        first: CheckResult | None = None
        kept: list[RuleMatch] = []
        suppressed: list[RuleMatch] = []
        for reading in readings(query, max_chars=self.max_query_chars):
            # Symbols read as letters are one of two readings: a match through them must be exact. Misspelling on
            # top of an ambiguous reading matched e-mail addresses ("name@host" read as "nameahost") and shell
            # variables in documentation (see docs/deterrence.md); the symbols-as-separators reading is fuzzy.
            # Nor does a term inside a longer word count in it: a symbol read as a letter joins the words around
            # it into one, and a term across that join ("name@host" read as "nameahost") is glued AND disguised,
            # two disguises stacked; a term inside a word the symbol did not touch is found by the other reading.
            ambiguous = reading.ambiguous
            result = self.check_normalised(reading.text, reading.label, fuzzy=not ambiguous, inside=not ambiguous)
            if first is None:
                first = result
            kept += result.matches
            suppressed += result.suppressed
        assert first is not None  # the query as received is always a reading
        if len(kept) == len(first.matches) and len(suppressed) == len(first.suppressed):
            return first
        kept.sort(key=_severity_order)
        return CheckResult(bool(kept), tuple(_first_per_rule(kept)), tuple(suppressed), first.normalised, first.notes)

    def check_normalised(
        self, text: NormalisedText, reading: str = "as received", *, fuzzy: bool = True, inside: bool = True
    ) -> CheckResult:
        """Check one reading of a query, already normalised; ``reading`` labels its matches; ``fuzzy=False``
        counts exact matches only; ``inside=False`` counts no term inside a longer word."""
        if not text.tokens:
            return CheckResult(False, (), (), "", text.notes)
        found: list[RuleMatch] = []
        allowed: list[tuple[int, int]] = []
        exact_rules: set[int] = set()
        ordinary: dict[int, bool] = {}  # token position -> Lexicon.ordinary(token), worked out once per query
        starts: dict[int, int] = {}
        ends: dict[int, int] = {}
        typed: tuple[str, ...] | None = None  # plain_words(text), worked out on the first match
        joins: tuple[tuple[int, ...], ...] | None = None  # camel_joins(text), worked out on an inside-word match
        respelt: list[tuple[int, int]] = []  # (query word, fuzzy word id): a rule's skeleton, not its letters
        numbers: tuple[bool, ...] | None = None  # number_words(text), worked out on a joined match
        if self._automaton is not None:
            for end_index, target in self._automaton.iter(text.despaced):
                if not starts:
                    starts = {s: i for i, s in enumerate(text.starts)}
                    ends = {e: i for i, e in enumerate(text.ends)}
                end = end_index + 1
                start = end - len(target.key)
                aligned = start in starts and end in ends
                if target.allows and aligned:
                    allowed.append((start, end))
                if not target.terms or not (aligned or len(target.key) >= INSIDE_WORD_MIN):
                    continue
                if not aligned and (
                    not inside
                    or target.key in self._inside_lexicon_words
                    or not self._believable_inside(text, start, end, ordinary)
                ):
                    continue
                if aligned:
                    how = MatchHow.WORD if starts[start] == ends[end] else MatchHow.JOINED
                    if how is MatchHow.JOINED and self._ordinary_words_joined(
                        text, starts[start], ends[end], target.key
                    ):
                        continue
                else:
                    how = MatchHow.INSIDE_WORD
                if typed is None:
                    typed = plain_words(text)
                # A one-word term found across query words was split apart: its pieces keep its letters.
                split = how is MatchHow.JOINED and target.key not in self._phrase_keys
                # Nor is a number standing alone one of its pieces (see across_a_number).
                number = False
                if how is MatchHow.JOINED:
                    if numbers is None:
                        numbers = number_words(text)
                    # The first word ending there, not ends[end] (the last): a word collapsed to nothing shares it.
                    last_word = next(i for i, e in enumerate(text.ends) if e >= end)
                    number = across_a_number(numbers, starts[start], last_word)
                for index in target.terms:
                    if number and self._written[index][0]:
                        continue
                    if typed and not self._as_written_inside(text, typed, start, end, index, split=split):
                        # The rule's skeleton but not its letters ("fieinkein" for "fleinkein"): maybe the rule
                        # misspelt, which the fuzzy index, holding no exact hits, does not find (see _respelt).
                        if how is MatchHow.WORD and index in self._key_ids:
                            respelt.append((starts[start], self._key_ids[index]))
                        continue
                    if typed and how is MatchHow.INSIDE_WORD:
                        if joins is None:
                            joins = camel_joins(text)
                        if joins and not self._inner_words(text, typed, joins, start, index):
                            continue
                    exact_rules.add(index)
                    found.append(RuleMatch(self.rules[index], how, text.despaced[start:end], 0, (start, end)))
        found += self._fuzzy_and_near(text, exact_rules, ordinary, fuzzy, respelt)
        if reading != "as received":
            found = [replace(m, reading=reading) for m in found]
        kept = [m for m in found if not any(a <= m.span[0] and m.span[1] <= b for a, b in allowed)]
        suppressed = [m for m in found if m not in kept]
        kept.sort(key=_severity_order)
        return CheckResult(bool(kept), tuple(_first_per_rule(kept)), tuple(suppressed), text.spaced, text.notes)

    def _as_written_inside(
        self, text: NormalisedText, typed: tuple[str, ...], start: int, end: int, rule_index: int, *, split: bool
    ) -> bool:
        """For an exact match of rule ``rule_index`` on ``text.despaced[start:end]``: unless the words it lies in
        were all typed without disguise (see :func:`plain_words`) and the rule is made of letters, true; else
        whether the rule as written, repeated letters written once, lies in those words as typed; for a one-word
        rule found across words (``split``), whether the rule exactly as written does, repeats included.

        The skeleton reads every "l" as "i", so an ordinary word with an "i" where a rule has an "l" met it
        ("homogeneifierons" holds the skeleton of "neifffle"); typed without disguise, it is not the rule. A term
        split apart keeps its letters ("toom ppi"); split AND with its repeated letters changed ("to mpi" for
        "toomppi") is two disguises stacked, and met ordinary words side by side ("data_to_mpi": measured on the
        benchmark's tuning texts at 10,000 rules).
        """
        written = self._written[rule_index][0]
        if not written:
            return True
        first = next(i for i, e in enumerate(text.ends) if e > start)
        last = next(i for i, e in enumerate(text.ends) if e >= end)
        words = typed[first : last + 1]
        if not all(words):
            return True
        if split:
            return written in "".join(words)
        return collapse_repeats(written) in collapse_repeats("".join(words))

    def _inner_words(
        self,
        text: NormalisedText,
        typed: tuple[str, ...],
        joins: tuple[tuple[int, ...], ...],
        start: int,
        rule_index: int,
    ) -> bool:
        """For an exact match of rule ``rule_index`` inside a longer query word (from ``start`` in the despaced
        form): unless that word is written in camelCase (see :func:`camel_joins`) and the rule is made of letters,
        true; else whether the rule as written is one or more of its inner words whole, repeats written once
        (``MyZorblaxVideo``). A camelCase word says where its words begin: a term that begins or ends inside one of
        them (``ConditonBase`` holds ``diton`` after ``con``) is a piece of another word, as a glued misspelling
        is (see :meth:`_at_a_join`)."""
        written = self._written[rule_index][0]
        position = next(i for i, e in enumerate(text.ends) if e > start)
        cuts = joins[position]
        if not written or not cuts or not typed[position]:
            return True
        word = typed[position]
        bounds = (0, *cuts, len(word))
        inner = [collapse_repeats(word[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]
        want = collapse_repeats(written)
        return any(
            collapse_repeats("".join(inner[i:j])) == want
            for i in range(len(inner))
            for j in range(i + 1, len(inner) + 1)
        )

    def _at_a_join(self, word: str, written: str, joins: tuple[int, ...], ident: int) -> bool:
        """Whether ``word`` (a camelCase word, its letters) begins or ends with the rule ``written`` misspelt, cut
        where one of its inner words begins (``joins``): in ``FindFreetype`` a term glued before ``Freetype`` is
        ``find``, never ``findfree`` (with 100,000 rules, the benchmark's tuning file-name false positives were
        such camelCase names of build files)."""
        allowance = self._fuzzy.allowance(ident)
        return any(
            typed_within(word[:at], written, allowance, True) or typed_within(word[at:], written, allowance, True)
            for at in joins
        )

    def _fuzzy_and_near(
        self,
        text: NormalisedText,
        exact_rules: set[int],
        ordinary: dict[int, bool],
        fuzzy: bool = True,
        respelt: Iterable[tuple[int, int]] = (),
    ) -> list[RuleMatch]:
        """Fuzzy and near matches. ``respelt``: whole query words typed without disguise that have a rule's
        skeleton but not its letters as written (an "l" typed as "i", a swap "li" for "il"); each is weighed as a
        misspelling of the rule, one edit, with every test a plain misspelling meets."""
        found: list[RuleMatch] = []
        near_hits: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # rule -> (part, word position, edits)
        tokens = text.tokens
        for position, token in enumerate(tokens):
            for rule_index, part in self._near_words.get(token, ()):
                near_hits[rule_index].append((part, position, 0))
        if fuzzy and len(self._fuzzy):
            next_to_word: dict[tuple[str, bool], bool] = {}  # Lexicon.next_to_word, once per candidate and query
            # Tokens a symbol touched, in the reading with symbols as separators, are one of two readings too.
            digits_read = _either(text.digits_read, text.beside_symbols)
            typed: tuple[str, ...] | None = None  # plain_words(text), worked out on the first fuzzy hit
            joins: tuple[tuple[int, ...], ...] | None = None  # camel_joins(text), worked out on a glued hit
            code: tuple[bool, ...] | None = None  # identifier_words(text), worked out when needed
            attested: dict[int, bool] = {}  # token position -> an attested word, worked out on its first hit
            beside: dict[str, bool] = {}  # candidate -> Lexicon.next_to_word, for a dense rule's hits
            numbers: tuple[bool, ...] | None = None  # number_words(text), worked out on a hit across words
            index_hits = self._fuzzy_hits(text, ordinary)
            if respelt:
                spelt = [(text.tokens[p], p, p, True, ident, 1) for p, ident in respelt]
                index_hits = chain(spelt, index_hits)
            for candidate, first, last, whole, ident, distance in index_hits:
                # Digits read as letters are a reading, not what was typed: a misspelling on top of one made
                # version numbers and identifiers match ("numpy 1.0" read as "numpyio"); only exact matches count.
                if digits_read and any(digits_read[first : last + 1]):
                    continue
                number = False
                if first != last:
                    if numbers is None:
                        numbers = number_words(text)
                    number = across_a_number(numbers, first, last)
                # A query word seen in real text (see _attested) is a word of some language, not a term misspelt
                # or glued to another word: only a whole word equal to a term's skeleton still counts.
                if first == last and (distance or not whole) and self._attested(text, first, attested):
                    continue
                for rule_index, part in self._fuzzy_owners[ident]:
                    # The cheap reasons not to count a hit first; the comparison with the rule as written last.
                    if part >= 0:
                        if not (whole and last == first):
                            continue
                    elif last - first >= self._rule_words[rule_index]:
                        # A run of more query words than the rule has words: the term would have to be split
                        # apart AND misspelt, two obfuscations stacked. Such runs met ordinary neighbours far
                        # more often ("kio ntim", "tempfile in"); a split term still matches exactly (JOINED).
                        continue
                    elif rule_index in exact_rules or not (whole or ident not in self._word_like):
                        continue
                    written = self._written[rule_index][max(part, 0)]
                    if written and number:
                        continue
                    with_digits = self._with_digits[rule_index][max(part, 0)]
                    if with_digits and (distance or not whole):
                        if typed is None:
                            typed = plain_words(text)
                        # A rule written with digits ("zorblax 11"), misspelt in words typed in letters only: the
                        # digits were typed as the letters they look like, a misspelling of the rule so read (see
                        # digits_as_letters), not of its skeleton.
                        if typed and all(typed[first : last + 1]):
                            word = "".join(typed[first : last + 1])
                            allowance = self._fuzzy.allowance(ident)
                            if not any(typed_within(word, letters, allowance, whole) for letters in with_digits):
                                continue
                    if written:
                        if typed is None:
                            typed = plain_words(text)
                        # Typed without any disguise: a misspelling must be one of the rule as written, not only
                        # of its skeleton, where "l" is "i" and repeats are collapsed ("filtfilt" is "fitfit").
                        if typed and all(typed[first : last + 1]):
                            word = "".join(typed[first : last + 1])
                            if not typed_within(word, written, self._fuzzy.allowance(ident), whole):
                                continue
                            # Glued into a camelCase word, a term begins or ends where one of its words does.
                            if not whole:
                                if joins is None:
                                    joins = camel_joins(text)
                                if joins and joins[first] and not self._at_a_join(word, written, joins[first], ident):
                                    continue
                            # A plain misspelling of a short rule keeps its first letter (see FIRST_LETTER_FROM).
                            if whole and len(written) < FIRST_LETTER_FROM and word[:1] != written[:1]:
                                continue
                            # Nor a plain misspelling of a rule among many lexicon words that lies next to one of
                            # them itself (see DENSE_NEIGHBOURHOOD).
                            if distance and (rule_index, part) in self._dense:
                                if candidate not in beside:
                                    # Its skeleton (a candidate may have its repeated letters kept: "groonga").
                                    beside[candidate] = self.lexicon.next_to_word(collapse_repeats(candidate))
                                if beside[candidate]:
                                    continue
                            # Nor a common word with a letter or two added that the rule does not hold (see
                            # common_word_added_to).
                            if (
                                distance
                                and whole
                                and first == last
                                and self.common_word_added_to(tokens[first], self._skeletons[rule_index])
                            ):
                                continue
                            # Nor two frequent English words run together, unless the rule is made so itself (see
                            # compound_of_frequent_words).
                            if distance and whole and first == last and self.compound_of_frequent_words(word, written):
                                continue
                        if typed and whole and first == last and distance:
                            # An identifier of code misspelt is no evidence of a term (see identifier_words).
                            if code is None:
                                code = identifier_words(text)
                            if code and code[first]:
                                continue
                    if part >= 0:
                        near_hits[rule_index].append((part, first, distance))
                        continue
                    # One edit from a lexicon word as well as within the rule's allowance: more often a rare form
                    # of that word ("rompez" + "s") than a misspelt term. Glued candidates are refused for any
                    # such edit; whole words only for an edit at their end, where inflections are (measured on
                    # the benchmark's tuning words, see NEXT_TO_WORD_END).
                    key = (candidate, whole)
                    near = next_to_word.get(key)
                    if near is None:
                        end = 0 if not whole else NEXT_TO_WORD_END
                        near = next_to_word[key] = self.lexicon.next_to_word(candidate, end=end)
                    if near:
                        continue
                    exact_rules.add(rule_index)
                    span = (text.starts[first], text.ends[last])
                    how = MatchHow.FUZZY if whole else MatchHow.FUZZY_INSIDE_WORD
                    found.append(RuleMatch(self.rules[rule_index], how, candidate, distance, span))
        for rule_index, hits in near_hits.items():
            best: tuple[int, int, int] | None = None
            for part_a, pos_a, _ in hits:
                for part_b, pos_b, _ in hits:
                    if part_a == 0 and part_b == 1 and pos_a != pos_b:
                        gap = abs(pos_a - pos_b)
                        if gap <= self.rules[rule_index].within and (best is None or gap < best[0]):
                            best = (gap, min(pos_a, pos_b), max(pos_a, pos_b))
            if best is not None:
                gap, lo, hi = best
                span = (text.starts[lo], text.ends[hi])
                matched = " ".join(tokens[lo : hi + 1])
                found.append(RuleMatch(self.rules[rule_index], MatchHow.NEAR, matched, gap, span))
        return found

    def _believable_inside(self, text: NormalisedText, start: int, end: int, ordinary: dict[int, bool]) -> bool:
        """Whether a term found inside a longer query word (or across words, but not at either's edge) counts.

        Without a lexicon, a span across words needs one end on a word edge ("zor blaxvideo"). With one, a span
        across words does not count: a term split apart AND glued to a word is two disguises stacked, and such
        spans met ordinary words side by side far more often ("by texinfo", "byte xf1"; measured on the
        benchmark's tuning texts). The word the term lies inside must not be an ordinary word, and what is glued
        before and after the term must be nothing, an ordinary word or another term ("bestzorblaxvideo").
        """
        first = next(i for i, e in enumerate(text.ends) if e > start)
        last = next(i for i, e in enumerate(text.ends) if e >= end)
        s, e = text.starts[first], text.ends[last]
        if first != last and (self.lexicon or (start != s and end != e)):
            return False
        if not self.lexicon:
            return True
        if self._ordinary(text, first, ordinary) or text.tokens[first] in self.lexicon.attested:
            return False
        despaced = text.despaced
        return (
            self._glued(despaced[s:start], before=True, junction=despaced[start])
            and self._glued(despaced[end:e], before=False, junction=despaced[end - 1])
            and not self.common_word_across(despaced[s:e], start - s, end - s)
        )

    def common_word_across(self, token: str, start: int, end: int) -> str:
        """A common lexicon word of ``ACROSS_WORD_FROM``+ letters in ``token`` that shares at least
        ``ACROSS_SHARED`` letters with the term found at ``token[start:end]`` and runs past its beginning or its
        end, if there is one; else ``""``.

        A term glued to other words ends where they begin (a letter written once at the junction aside): its
        letters are its own. A term whose letters run into a common word's is a piece of how the word was formed
        ("xet" + "affinity" holds a five-letter string across "affinity"'s first letters; measured on the
        benchmark's tuning texts with 50,000 rules). Asked only for a term found inside a longer word.
        """
        common = self.lexicon.common
        n = len(token)
        for a in range(n - ACROSS_WORD_FROM + 1):
            for b in range(a + ACROSS_WORD_FROM, n + 1):
                crosses = (a < start < b < end) or (start < a < end < b)
                if crosses and min(b, end) - max(a, start) >= ACROSS_SHARED and token[a:b] in common:
                    return token[a:b]
        return ""

    def _ordinary_words_joined(self, text: NormalisedText, first: int, last: int, key: str) -> bool:
        """Whether a one-word term was found only by joining query words that are each a common lexicon word of
        two or more letters ("two non" for a term "twonon"): ordinary words side by side, not a term split apart.
        A split term leaves a piece that is no common word ("zor blax"); rare lexicon words, such as the short
        fragments of the larger word lists, are as often pieces of a split term (measured on the tuning families).
        """
        if key in self._phrase_keys or not self.lexicon:
            return False
        common = self.lexicon.common
        return all(len(t) >= 2 and t in common for t in text.tokens[first : last + 1])

    def _ordinary(self, text: NormalisedText, position: int, memo: dict[int, bool]) -> bool:
        known = memo.get(position)
        if known is None:
            known = memo[position] = self.lexicon.ordinary(text.tokens[position])
        return known

    def common_word_added_to(self, token: str, skeleton: str) -> str:
        """The common lexicon word of ``HELD_WORD_FROM``+ letters that ``token`` (a skeleton) is with at most
        ``HELD_WORD_EXTRA`` letters added, if the rule ``skeleton`` does not hold that word; else ``""``.

        Such a token is a common word with an affix, a prefix or a letter of a name or identifier around it
        ("admin" + "d"); a plain misspelling of a rule that does not hold the word would have to make it by the
        misspelling itself, which a slip rarely does (measured on the benchmark's tuning families: no recall
        lost). Asked only for a plain one-word misspelling that every other test let through.
        """
        common = self.lexicon.common
        n = len(token)
        for size in range(n - 1, max(HELD_WORD_FROM, n - HELD_WORD_EXTRA) - 1, -1):
            for at in range(n - size + 1):
                piece = token[at : at + size]
                if piece in common and piece not in skeleton:
                    return piece
        return ""

    def compound_of_frequent_words(self, word: str, written: str) -> bool:
        """Whether ``word``, a plain one-word misspelling of the rule ``written`` (both letters as typed), is two
        frequent English words run together (see :mod:`~sharedhash.deterrence.frequent`) while the rule is not.

        Identifiers and compounds of documentation and code are made so (``dryrun``, ``tofrom``, ``keymask``): a
        word that is one without any edit is explained better as that than as a rule misspelt, which a slip
        makes into one rarely (0.10% of the ``typo`` family's one-edit variants). A rule that is such a compound
        itself gets no such evidence from its misspellings being one (``key`` + ``mast`` for ``keymask``).
        Asked only for a plain one-word misspelling that every other test let through; without a lexicon (which
        says what ordinary words are at all), never."""
        if not self.lexicon or frequent_compound(word) is None:
            return False
        return frequent_compound(written) is None

    def _attested(self, text: NormalisedText, position: int, memo: dict[int, bool]) -> bool:
        """Whether the query word at ``position`` is an attested word (see :mod:`~sharedhash.deterrence.attested`):
        seen in real text, though too rare for the lexicon ("fishhook"). With 10,000 rules, such words one edit
        from a rule, or holding one, were most of the false positives left on real text (measured on the
        benchmark's tuning halves); asked only on a hit, so it costs nothing on a query no rule comes near."""
        known = memo.get(position)
        if known is None:
            known = memo[position] = text.tokens[position] in self.lexicon.attested
        return known

    def _glued(self, part: str, *, before: bool, junction: str = "") -> bool:
        """Whether ``part``, found glued before or after a term, is something people glue to one: nothing, an
        ordinary word or another rule's term. A letter shared at the junction was written once ("hd" + "drooff"
        is "hdrof"), so ``part`` is also tried with ``junction``, the term's letter beside it, given back."""
        if not part:
            return True
        if len(part) < MIN_GLUED:
            return False
        glue, keys = self.lexicon.words, self._term_keys
        if part in glue or part in keys:
            return True
        if junction and (part[-1] if before else part[0]) != junction:
            joined = part + junction if before else junction + part
            return joined in glue or joined in keys
        return False

    def _fuzzy_hits(
        self, text: NormalisedText, memo: dict[int, bool]
    ) -> Iterable[tuple[str, int, int, bool, int, int]]:
        """Fuzzy index hits of the query's candidates (see :meth:`_fuzzy_candidates`), in their order:
        (candidate, first word, last word, whether it is whole words, fuzzy word id, edits).

        With the C kernel (and no cache), one kernel call per query (``hits``) looks up every candidate: the
        glued candidates of each long word follow that word's runs, exactly as the Python code orders them.
        """
        index = self._fuzzy
        kernel = index.kernel()
        if kernel is None:
            return self._fuzzy_hits_python(text, memo)
        # Every hit, glued candidates too, in one kernel call (measured on the bench's word queries at 10,000 rules:
        # the Python loop around the kernel, Lexicon.ordinary's call and _glued_candidates' set look-ups were a
        # third of a query's time): the same look-ups in the same order as _fuzzy_hits_scan, the reference.
        lexicon, longest = self.lexicon, index.max_length + 2
        if self._kernel_sets is None:
            # The sets, with Bloom filters of them built on the first query (0.2 s CPU for the default lexicon):
            # most slices of a word are in none of them, and the filter says so without a str built and a set
            # probed, a cache miss in 600,000+ words (measured on the bench's word queries).
            assert NATIVE is not None  # the kernel's index came from it
            looked_up = (
                lexicon.words,
                lexicon.prefixes,
                lexicon.suffixes,
                self._glue_common_after,
                self._glue_common_before,
            )
            self._kernel_sets = (looked_up, tuple(NATIVE.Filter(s) for s in looked_up))
        sets, filters = self._kernel_sets
        return kernel.hits(  # type: ignore[no-any-return]
            text.tokens, text.despaced, text.starts, text.ends, text.uncollapsed, *sets, bool(lexicon),
            MAX_JOINED_WORDS, longest, ONE_EDIT_FROM - 1, longest, ONE_EDIT_FROM, TWO_EDITS_FROM, ANCHORED_FROM,
            GLUED_CANDIDATE_FROM + MIN_GLUED, GLUED_CANDIDATE_FROM, MIN_GLUED, MIN_COMPOUND_PART, MAX_AFFIX, MIN_STEM,
            filters,
        )  # fmt: skip

    def _fuzzy_hits_python(
        self, text: NormalisedText, memo: dict[int, bool]
    ) -> Iterator[tuple[str, int, int, bool, int, int]]:
        """:meth:`_fuzzy_hits` without the C kernel (or with the fuzzy cache): the reference."""
        index = self._fuzzy
        for candidate, first, last, whole in self._fuzzy_candidates(text, memo):
            for ident, distance in index.lookup(candidate):
                yield candidate, first, last, whole, ident, distance

    def _fuzzy_hits_scan(
        self, text: NormalisedText, memo: dict[int, bool], kernel: Any
    ) -> Iterator[tuple[str, int, int, bool, int, int]]:
        """:meth:`_fuzzy_hits` with the kernel's whole-word ``scan`` and the glued candidates in Python: the
        reference the kernel's ``hits`` is tested against."""
        index = self._fuzzy
        tokens, lexicon = text.tokens, self.lexicon
        words = lexicon.words
        known = [t in words for t in tokens]
        hits = kernel.scan(
            text.despaced, text.starts, text.ends, text.uncollapsed, known, MAX_JOINED_WORDS,
            index.max_length + 2, ONE_EDIT_FROM - 1, index.max_length + 2, ONE_EDIT_FROM, TWO_EDITS_FROM,
        )  # fmt: skip
        if not lexicon:
            for candidate, first, last, ident, distance in hits:
                yield candidate, first, last, True, ident, distance
            return
        at = 0
        for position, token in enumerate(tokens):
            while at < len(hits) and hits[at][1] == position:
                candidate, first, last, ident, distance = hits[at]
                yield candidate, first, last, True, ident, distance
                at += 1
            kept = text.uncollapsed[position]
            if (
                len(token) > ANCHORED_FROM
                and len(kept) >= GLUED_CANDIDATE_FROM + MIN_GLUED
                and not known[position]
                and not self._ordinary(text, position, memo)
            ):
                glued = self._glued_candidates(token, kept, position)
                for candidate, first, last, whole in glued:
                    for ident, distance in kernel.lookup(candidate, lookup_depth(len(candidate))):
                        yield candidate, first, last, whole, ident, distance

    def _fuzzy_candidates(self, text: NormalisedText, memo: dict[int, bool]) -> Iterator[tuple[str, int, int, bool]]:
        """Query strings worth a fuzzy look-up: (string, first word, last word, whether it is whole words).

        Whole words and runs of up to ``MAX_JOINED_WORDS`` neighbours (a split or spaced-out term), each also
        with its repeated letters kept; and the beginnings and ends of a long word that is not a lexicon word
        (a misspelt term glued to another word). Runs made only of lexicon words are skipped.
        """
        tokens, lexicon = text.tokens, self.lexicon
        # A misspelt term is often a word plus an affix, or two short words, so word formation (which the glued
        # search uses) would cost recall here (measured): only lexicon words are skipped.
        words = lexicon.words
        known = [t in words for t in tokens]
        longest = self._fuzzy.max_length + 2
        despaced, starts, ends, uncollapsed = text.despaced, text.starts, text.ends, text.uncollapsed
        count = len(tokens)
        for first in range(count):
            ordinary = True
            start = starts[first]
            for last in range(first, min(first + MAX_JOINED_WORDS, count)):
                ordinary = ordinary and known[last]
                candidate = despaced[start : ends[last]]
                if len(candidate) > longest:
                    break
                if ordinary:
                    continue
                yield candidate, first, last, True
                # Repeated letters kept, for a misspelt double letter ("quauxvid" for "quuxvid").
                kept = uncollapsed[first] if first == last else "".join(uncollapsed[first : last + 1])
                if kept != candidate:
                    yield kept, first, last, True
            token = tokens[first]
            if (
                lexicon
                and len(token) > ANCHORED_FROM
                and len(uncollapsed[first]) >= GLUED_CANDIDATE_FROM + MIN_GLUED
                and not known[first]
                and not self._ordinary(text, first, memo)
            ):
                yield from self._glued_candidates(token, uncollapsed[first], first)

    def _glued_candidates(self, token: str, kept: str, position: int) -> list[tuple[str, int, int, bool]]:
        """Beginnings and ends of ``token`` whose rest is a common word ("zorblqx" + "video"); the same for
        ``kept``, the token with its repeated letters kept, whose rest is compared collapsed.

        A rare word's beginning one edit from a rule is frequent; the same with a common word glued on is not.
        """
        n = len(token)
        longest = self._fuzzy.max_length + 2
        after_words, before_words = self._glue_common_after, self._glue_common_before
        # after[q]: token[q:] may follow a term; before[q]: token[:q] may precede one (each at least MIN_GLUED).
        # Without repeated letters only the splits the sizes below reach are looked up (each look-up is a likely
        # cache miss in a set of 600,000+ words).
        top, low = min(n - MIN_GLUED, longest), GLUED_CANDIDATE_FROM
        after: list[bool] | dict[int, bool]
        before: list[bool] | dict[int, bool]
        if kept == token:
            after = {q: token[q:] in after_words for q in range(low - 1, top + 1)}
            before = {q: token[:q] in before_words for q in range(n - top, n - low + 2)}
        else:
            after = [n - q >= MIN_GLUED and token[q:] in after_words for q in range(n)]
            before = [q >= MIN_GLUED and token[:q] in before_words for q in range(n + 1)]
        out: list[tuple[str, int, int, bool]] = []
        for size in range(low, top + 1):
            # A letter shared at the junction was written once ("hd" + "drooff" is "hdrof"): the rest is also
            # tried with it given back.
            if after[size] or after[size - 1]:
                out.append((token[:size], position, position, False))
            if before[n - size] or before[n - size + 1]:
                out.append((token[n - size :], position, position, False))
        if kept != token:
            # run[p]: the position in token of kept[p]'s letter, so kept[p:] collapses to token[run[p]:].
            run: list[int] = []
            q = -1
            for p, ch in enumerate(kept):
                if not p or ch != kept[p - 1]:
                    q += 1
                run.append(q)
            size_n = len(kept)
            for size in range(GLUED_CANDIDATE_FROM, min(size_n - MIN_GLUED, longest) + 1):
                if after[run[size]]:
                    out.append((kept[:size], position, position, False))
                if before[run[size_n - size - 1] + 1]:
                    out.append((kept[size_n - size :], position, position, False))
        return out


def as_written(form: NormalisedText) -> str:
    """A rule text's letters as written (lower case, accents dropped, no separators), or ``""`` if it holds
    anything but Latin letters (digits, symbols, look-alikes): such a rule is compared by its skeleton only."""
    words = plain_words(form)
    return "".join(words) if words and all(words) else ""


#: At most this many readings of a rule's digits as letters are kept (2 for each "1").
_MAX_DIGIT_READINGS = 16
#: What a rule text written with digits may hold besides ASCII letters, digits and spaces (see digits_as_letters).
_RULE_PUNCTUATION = frozenset("-_.,'/")


def digits_as_letters(text: str) -> tuple[str, ...]:
    """The letters of a rule text written in ASCII letters and digits (and separators) with its digits read as the
    letters they look like ("gliffpo 11": "gliffpoii", "gliffpoil", "gliffpoli", "gliffpoll"); ``()`` for a text
    without digits, or with anything else than ASCII letters, digits, spaces and punctuation.

    Such a rule typed with letters for its digits is the rule read as letters; misspelt besides, it must be a
    misspelling of one of these readings, as a plain misspelling of a rule written in letters must be one of its
    letters as written (see :func:`typed_within`): compared by its skeleton only, where "l" is "i" and repeats are
    collapsed, ordinary words met such rules ("giftool" and a rule "gliffpo 11", on the benchmark's tuning
    halves at 10,000 rules)."""
    if not text.isascii() or not any(c.isdigit() for c in text) or not any(c.isalpha() for c in text):
        return ()
    readings = [""]
    for char in text.lower():
        if char.isalpha():
            readings = [r + char for r in readings]
        elif char.isdigit():
            # The letters typed for it (normalise.DIGIT_LETTERS); a digit read as no letter stands for itself.
            readings = [r + letter for r in readings for letter in DIGIT_LETTERS.get(char, char)]
            readings = readings[:_MAX_DIGIT_READINGS]
        elif not (char.isspace() or char in _RULE_PUNCTUATION):
            return ()
    return tuple(readings)


def typed_within(typed: str, written: str, allowance: int, whole: bool) -> bool:
    """Whether ``typed`` (whole words as typed) is within ``allowance`` edits of the rule ``written``, compared
    as they are or with repeated letters written once on both sides (a doubled or undoubled letter is the
    commonest slip); for a glued candidate (not ``whole``), whether the beginning or the end of the typed word
    is.

    A doubled or undoubled letter is itself a slip: compared with repeats written once, the typed word must
    equal the rule, unless the typed word or the rule repeats a letter three or more times (a deliberate repeat,
    see the ``repeat`` family, which a rule written so stands for in any number). A letter undoubled AND another
    replaced is two slips, which a one-edit allowance does not cover ("bufmax" is not "byffmax" misspelt once;
    measured on the benchmark's tuning texts at 10,000 rules).
    """
    deliberate = _TRIPLE.search(typed) is not None or _TRIPLE.search(written) is not None
    collapsed_allowance = allowance if deliberate else 0
    forms = ((typed, written, allowance), (collapse_repeats(typed), collapse_repeats(written), collapsed_allowance))
    for query, rule, allowance in forms:
        if whole:
            if _within(query, rule, allowance):
                return True
            continue
        n = len(rule)
        for size in range(max(1, n - allowance), min(len(query), n + allowance) + 1):
            if _within(query[:size], rule, allowance) or _within(query[-size:], rule, allowance):
                return True
    return False


def _within(a: str, b: str, allowance: int) -> bool:
    """Whether ``a`` is within ``allowance`` edits of ``b``, counted as
    :func:`~sharedhash.deterrence.fuzzy.edit_distance` counts them. Up to one edit is decided by comparing the
    strings around their first difference, without the dynamic programme: this runs on every fuzzy hit of a query
    typed without disguise (see ``bench/deterrence.py``'s throughput part)."""
    if a == b:
        return True
    if allowance > 1:
        return edit_distance(a, b, allowance) <= allowance
    if allowance < 1:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    i = 0
    top = min(la, lb)
    while i < top and a[i] == b[i]:
        i += 1
    if la == lb:
        # One letter replaced, or two neighbours swapped.
        return a[i + 1 :] == b[i + 1 :] or (
            i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i] and a[i + 2 :] == b[i + 2 :]
        )
    if la > lb:
        return a[i + 1 :] == b[i:]  # one letter inserted
    return a[i:] == b[i + 1 :]  # one letter left out


def across_a_number(numbers: tuple[bool, ...], first: int, last: int) -> bool:
    """Whether query words ``first`` to ``last`` (two or more) take in a number standing alone (``numbers``, from
    :func:`~sharedhash.deterrence.normalise.number_words`): a rule written in letters found there, exactly or
    misspelt, would be a number read as letters AND joined to the words beside it ("dive_1.asm" read as
    "dive i asm" for a term "divei"). One reading stacked on another, like a misspelling through digits read as
    letters, which never counts; a number inside a disguised word ("d1vei", "d.1.v.e.i") is no number standing
    alone and still counts."""
    return bool(numbers) and any(numbers[first : last + 1])


def _either(a: tuple[bool, ...], b: tuple[bool, ...]) -> tuple[bool, ...]:
    """Per token, ``a`` or ``b`` (either may be empty, meaning all false)."""
    if not b:
        return a
    if not a:
        return b
    return tuple(x or y for x, y in zip_longest(a, b, fillvalue=False))


def _severity_order(match: RuleMatch) -> tuple[int, bool, tuple[int, int]]:
    return -match.rule.severity.rank, match.how is MatchHow.FUZZY, match.span


def _first_per_rule(matches: list[RuleMatch]) -> list[RuleMatch]:
    seen: set[str] = set()
    out: list[RuleMatch] = []
    for match in matches:
        if match.rule.canonical not in seen:
            seen.add(match.rule.canonical)
            out.append(match)
    return out

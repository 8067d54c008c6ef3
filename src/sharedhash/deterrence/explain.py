"""Explanations for term-list maintainers: every normalisation step of a query, and why rules fired or did not.

:func:`explain` is pure (a matcher and a query in, a JSON-ready :class:`Explanation` out) so that the CLI
(``sharedhash deter explain``) and the server's explain mode show the same thing. It holds the query's text:
show it to the maintainer who asked, never store or log it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sharedhash.deterrence.decode import DECODERS
from sharedhash.deterrence.fuzzy import allowed_edits, edit_distance
from sharedhash.deterrence.letterlike import letterlike_source, letterlike_table
from sharedhash.deterrence.matcher import (
    DENSE_NEIGHBOURHOOD,
    FIRST_LETTER_FROM,
    NEIGHBOURHOOD_EDITS,
    NEXT_TO_WORD_END,
    CheckResult,
    Matcher,
    across_a_number,
    as_written,
    digits_as_letters,
    typed_within,
)
from sharedhash.deterrence.normalise import (
    NormalisedText,
    Trace,
    camel_joins,
    collapse_repeats,
    identifier_words,
    normalise,
    number_words,
    plain_words,
    readings,
)
from sharedhash.deterrence.rules import Rule, RuleKind

#: Rules farther than this many edits from every part of the query are not worth showing as near misses.
NEAR_MISS_EDITS = 3


@dataclass(frozen=True, slots=True)
class ReadingSteps:
    """One reading of the query and the text after each normalisation step."""

    label: str
    steps: tuple[tuple[str, str], ...]
    normalised: str
    despaced: str
    characters: tuple[tuple[str, str, str], ...]  # (character, reading, which Unicode data said so)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "reading": self.label,
            "steps": [{"step": s, "text": t} for s, t in self.steps],
            "normalised": self.normalised,
            "despaced": self.despaced,
            "characters": [{"character": c, "reads_as": r, "source": s} for c, r, s in self.characters],
        }


@dataclass(frozen=True, slots=True)
class NearMiss:
    """A rule that did not fire, the part of the query closest to it, and why it did not fire."""

    rule: Rule
    closest: str
    distance: int
    reason: str

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {"rule_id": self.rule.rule_id, "rule": self.rule.to_line(), "closest": self.closest,
                "distance": self.distance, "reason": self.reason}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Explanation:
    """What :func:`explain` found: the readings with their steps, the check result, and near misses."""

    readings: tuple[ReadingSteps, ...]
    result: CheckResult
    near_misses: tuple[NearMiss, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form (the check result's fields, plus ``readings`` and ``near_misses``)."""
        return {
            **self.result.to_dict(),
            "readings": [r.to_dict() for r in self.readings],
            "near_misses": [m.to_dict() for m in self.near_misses],
        }


def _characters(query: str) -> tuple[tuple[str, str, str], ...]:
    table = letterlike_table()
    seen: dict[str, tuple[str, str, str]] = {}
    for ch in query:
        source = letterlike_source(ord(ch))
        if source is not None and ch not in seen:
            seen[ch] = (ch, table[ord(ch)], source.value)
    return tuple(seen.values())


@dataclass(frozen=True, slots=True)
class _Part:
    """A whole word or a run of neighbouring words of one reading, as the matcher looks at them."""

    text: NormalisedText
    first: int
    last: int
    ambiguous: bool  # the reading read symbols as letters: exact matches only

    @property
    def words(self) -> int:
        return self.last - self.first + 1

    def read_through_disguise(self) -> bool:
        """Whether a word of it had digits read as letters or a symbol beside it: exact matches only."""
        flags = [
            *self.text.digits_read[self.first : self.last + 1],
            *self.text.beside_symbols[self.first : self.last + 1],
        ]
        return self.ambiguous or any(flags)

    def across_a_number(self) -> bool:
        """Whether it is two or more words of which one is a number standing alone (see ``across_a_number``)."""
        return self.words > 1 and across_a_number(number_words(self.text), self.first, self.last)

    def camel_case(self) -> bool:
        """Whether its one word was written in camelCase (see ``camel_joins``)."""
        joins = camel_joins(self.text)
        return bool(joins) and bool(joins[self.first])

    def identifier(self) -> bool:
        """Whether its one word was typed as part of an identifier of code (see ``identifier_words``)."""
        flags = identifier_words(self.text)
        return bool(flags) and flags[self.first]

    def typed(self) -> str:
        """The words as typed, if all were typed without disguise (see ``plain_words``), else ``""``."""
        words = plain_words(self.text)[self.first : self.last + 1]
        return "".join(words) if words and all(words) else ""


def _parts(text: NormalisedText, ambiguous: bool) -> dict[str, _Part]:
    """Whole words and runs of up to three neighbouring words, as the matcher looks at them."""
    out: dict[str, _Part] = {}
    for first in range(len(text.tokens)):
        for last in range(first, min(first + 3, len(text.tokens))):
            out.setdefault(text.despaced[text.starts[first] : text.ends[last]], _Part(text, first, last, ambiguous))
    return out


def _why_not(matcher: Matcher, rule: Rule, skeleton: str, closest: str, distance: int, part: _Part) -> str:
    allowance = allowed_edits(len(skeleton)) if rule.fuzzy else 0
    written = as_written(normalise(rule.texts[0]))
    typed = part.typed()
    if written and distance <= allowance and part.across_a_number():
        return (
            "joined across a number standing alone, read as letters: a number read as letters AND joined to the"
            " words beside it is two readings stacked, which a rule written in letters does not count"
        )
    if written and typed and distance == 0 and part.words > 1 and len(normalise(rule.texts[0]).tokens) == 1:
        if written not in typed:
            return (
                f"split across words as {typed!r}, which does not hold the rule exactly as written ({written!r}):"
                " a term split apart keeps its letters, and split with its repeated letters changed is two"
                " disguises stacked"
            )
    if written and typed and distance <= allowance:
        within = collapse_repeats(written) in collapse_repeats(typed) if distance == 0 else None
        if within is False or (within is None and not typed_within(typed, written, allowance, True)):
            return (
                f"typed without disguise as {typed!r}, which is not the rule as written ({written!r}) or within"
                f" {allowance} edit(s) of it: the skeleton reads l as i and writes repeats once, but plain text"
                " must hold the rule's own letters (a doubled or undoubled letter is a slip of its own)"
            )
    with_digits = digits_as_letters(rule.texts[0])
    if with_digits and typed and 0 < distance <= allowance:
        if not any(typed_within(typed, letters, allowance, part.words == 1) for letters in with_digits):
            return (
                f"typed in letters only as {typed!r}, which is within {allowance} edit(s) of no reading of the"
                f" rule's digits as letters ({', '.join(repr(x) for x in with_digits[:4])}): a rule written with"
                " digits, typed with letters for them, must be misspelt from one of those readings"
            )
    if written and typed and 0 < distance <= allowance and len(written) < FIRST_LETTER_FROM:
        if typed[:1] != written[:1]:
            return (
                f"typed without disguise as {typed!r}, a misspelling of the short rule {written!r} at its first"
                " letter: real misspellings rarely get the first letter wrong, so a plain word needs the rule's own"
                " first letter"
            )
    if (
        written
        and typed
        and 0 < distance <= allowance
        and matcher.in_dense_neighbourhood(rule)
        and matcher.lexicon.next_to_word(closest)
    ):
        return (
            f"typed without disguise as {typed!r}, a misspelling of a rule with {DENSE_NEIGHBOURHOOD}+ ordinary"
            f" (lexicon) words within {NEIGHBOURHOOD_EDITS} edits, and itself one edit from an ordinary word: there"
            " a plain word one edit away is more often a rare word than the rule misspelt, so only exact matches,"
            " misspellings with a disguise and misspellings away from every ordinary word count"
        )
    if written and typed and 0 < distance <= allowance and part.words == 1:
        added_to = matcher.common_word_added_to(closest, skeleton)
        if added_to:
            return (
                f"typed without disguise as {typed!r}, the common word {added_to!r} with a letter or two added,"
                " which the rule does not hold: a word formed from it, not the rule misspelt"
            )
        if matcher.compound_of_frequent_words(typed, written):
            return (
                f"typed without disguise as {typed!r}, two frequent English words run together, as identifiers and"
                " compounds are written, while the rule is not: that compound, not the rule misspelt"
            )
    if written and 0 < distance <= allowance and part.words == 1 and part.identifier():
        return (
            "typed as an identifier of code (joined to another word by '_' or by dots, or in camelCase):"
            " an identifier misspelt is no evidence of a term"
        )
    if part.words == 1 and closest != skeleton and closest in matcher.lexicon.attested:
        return (
            f"{closest!r} is an attested word (seen in real text, in the word-frequency data below the lexicon's"
            " most frequent words): a rare word of some language, not a misspelt term or one inside a word"
        )
    if distance == 0 and written and part.words == 1 and part.camel_case():
        return (
            "inside a camelCase word but not one or more of its inner words whole: a camelCase word says where its"
            " words begin, and a term that begins or ends inside one of them is a piece of another word"
        )
    if distance == 0:
        return "the rule's skeleton is there but not on word edges, glued to something that is not a word"
    if not rule.fuzzy:
        return f"{distance} edit(s) away, and the rule has fuzzy=off: it matches its exact skeleton only"
    if distance > allowance:
        return (
            f"{distance} edit(s) away; a rule of {len(skeleton)} normalised letters allows {allowance}"
            " (1 from 6 letters, 2 from 10)"
        )
    if rule.kind is RuleKind.TERM and part.words > len(normalise(rule.texts[0]).tokens):
        return (
            f"{part.words} query words run together to get here, more than the rule's"
            f" {len(normalise(rule.texts[0]).tokens)}: a term split apart and misspelt is not matched"
        )
    if part.read_through_disguise():
        return "a word here was read through digits or beside a symbol, one of two readings: exact matches only"
    if closest in matcher.lexicon.words:
        return f"{closest!r} is an ordinary word (in the lexicon): ordinary words are never read as misspellings"
    if matcher.lexicon.ordinary(closest):
        return f"{closest!r} is formed from ordinary words (a compound, or a word with a common affix)"
    if matcher.lexicon.next_to_word(closest, end=NEXT_TO_WORD_END):
        return f"{closest!r} is also one edit from an ordinary word at its end: taken for a form of that word"
    return "within the allowance, but glued to a part that is not an ordinary word or another term"


def explain(matcher: Matcher, query: str, *, rule: Rule | None = None, near_misses: int = 5) -> Explanation:
    """Explain ``matcher.check(query)``: each reading's normalisation steps, the rules that fired and how, and the
    ``near_misses`` closest rules that did not fire (or only ``rule``, if given), each with the reason."""
    steps: list[ReadingSteps] = []
    parts: dict[str, _Part] = {}
    for reading in readings(query, max_chars=matcher.max_query_chars):
        trace: Trace = []
        source = query if not reading.decodings else _decoded(query, reading.decodings)
        normalise(source, max_chars=matcher.max_query_chars, symbols_as_letters=reading.symbols_as_letters,
                  trace=trace)  # fmt: skip
        steps.append(ReadingSteps(reading.label, tuple(trace), reading.text.spaced, reading.text.despaced,
                                  _characters(source)))  # fmt: skip
        for key, piece in _parts(reading.text, reading.ambiguous).items():
            parts.setdefault(key, piece)
    result = matcher.check(query)
    fired = {m.rule.canonical for m in result.matches}
    candidates = [rule] if rule is not None else [r for r in matcher.rules if r.kind is not RuleKind.ALLOW]
    misses: list[NearMiss] = []
    for candidate in candidates:
        if candidate.canonical in fired:
            continue
        best: tuple[int, str] | None = None
        for text in candidate.texts:
            skeleton = normalise(text).despaced
            for part in parts:
                if skeleton in part:
                    distance = 0
                elif abs(len(part) - len(skeleton)) > NEAR_MISS_EDITS:
                    continue
                else:
                    distance = edit_distance(part, skeleton, NEAR_MISS_EDITS)
                if distance <= NEAR_MISS_EDITS and (best is None or distance < best[0]):
                    best = (distance, part)
        if best is None:
            if rule is not None:
                misses.append(NearMiss(candidate, "", NEAR_MISS_EDITS + 1, "no part of the query is near the rule"))
            continue
        distance, part = best
        skeleton = normalise(candidate.texts[0]).despaced
        reason = _why_not(matcher, candidate, skeleton, part, distance, parts[part])
        if any(m.rule.canonical == candidate.canonical for m in result.suppressed):
            reason = "it matched, but an allow rule covers that part of the query"
        elif candidate.kind is RuleKind.NEAR:
            reason = f"a near rule needs both words within {candidate.within} words of each other"
        misses.append(NearMiss(candidate, part, distance, reason))
    misses.sort(key=lambda m: m.distance)
    return Explanation(tuple(steps), result, tuple(misses[: max(near_misses, 1 if rule is not None else 0)]))


def _decoded(query: str, decodings: tuple[str, ...]) -> str:
    by_name = {d.name: d for d in DECODERS}
    for name in decodings:
        query = by_name[name].undo(query)
    return query

"""Term-list rules: parsing, validation and the canonical form stored as the value of a ``term`` hash.

A rule is one line of a rule file, written either compactly (``term zorblax severity=high``) or as a JSON
object; its canonical form is compact JSON with sorted keys, so one rule has exactly one stored value.
"""

from __future__ import annotations

import hashlib
import json
import re
import shlex
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from sharedhash.deterrence.errors import InvalidRuleError, RuleFileError
from sharedhash.deterrence.normalise import normalise
from sharedhash.errors import FileAccessError

#: Longest rule text accepted: real list entries are a few words; anything longer is a pasting accident.
MAX_RULE_TEXT_CHARS = 200
#: Shortest normalised rule text: one character would match half the queries in the world.
MIN_RULE_TEXT_CHARS = 2
MAX_WITHIN = 10
DEFAULT_WITHIN = 3
_CATEGORY = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")


class RuleKind(StrEnum):
    """What a rule asks for."""

    TERM = "term"  # a word or phrase, found even obfuscated
    NEAR = "near"  # two words, each innocent alone, within ``within`` words of each other
    ALLOW = "allow"  # an allow-list phrase: matches inside it are suppressed


class Severity(StrEnum):
    """How strongly a match indicates abuse-seeking; the service may pick its message by it."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """Order for sorting matches, higher is more severe."""
        return ("low", "medium", "high").index(self.value)


@dataclass(frozen=True, slots=True)
class Rule:
    """One validated rule. Build it with :func:`parse_rule` (or :meth:`Rule.create`), never half-checked."""

    kind: RuleKind
    texts: tuple[str, ...]
    severity: Severity = Severity.MEDIUM
    category: str = "general"
    fuzzy: bool = True
    within: int = DEFAULT_WITHIN
    _canonical: str = field(default="", compare=False, repr=False)

    @classmethod
    def create(
        cls,
        kind: RuleKind | str,
        texts: Iterable[str],
        *,
        severity: Severity | str = Severity.MEDIUM,
        category: str = "general",
        fuzzy: bool = True,
        within: int = DEFAULT_WITHIN,
    ) -> Rule:
        """Validate the parts of a rule and return it, or raise :class:`InvalidRuleError` with the reason."""
        try:
            kind = RuleKind(kind)
        except ValueError:
            raise InvalidRuleError(f"unknown rule kind {kind!r}: use term, near or allow") from None
        try:
            severity = Severity(severity)
        except ValueError:
            raise InvalidRuleError(f"unknown severity {severity!r}: use low, medium or high") from None
        if not isinstance(category, str) or not _CATEGORY.fullmatch(category):
            raise InvalidRuleError(
                f"bad category {category!r}: 1-40 characters of a-z, 0-9, '_' or '-', starting with a letter or digit"
            )
        if not isinstance(fuzzy, bool):
            raise InvalidRuleError(f"fuzzy must be true or false, not {fuzzy!r}")
        if not isinstance(within, int) or isinstance(within, bool) or not 1 <= within <= MAX_WITHIN:
            raise InvalidRuleError(f"within must be a whole number of words from 1 to {MAX_WITHIN}, not {within!r}")
        clean = tuple(_clean_text(t) for t in texts)
        expected = 2 if kind is RuleKind.NEAR else 1
        if len(clean) != expected:
            plural = "s" if expected > 1 else ""
            raise InvalidRuleError(f"a {kind} rule takes {expected} text{plural}, got {len(clean)}")
        if kind is RuleKind.NEAR:
            for text in clean:
                if len(normalise(text).tokens) != 1:
                    raise InvalidRuleError(f"near rules pair single words; {text!r} is a phrase: use a term rule")
        # Fields a kind does not use take their defaults, so that equal canonical forms mean equal rules.
        if kind is not RuleKind.NEAR:
            within = DEFAULT_WITHIN
        if kind is RuleKind.ALLOW:
            severity, category, fuzzy = Severity.MEDIUM, "general", True
        rule = cls(kind, clean, severity, category, fuzzy, within)
        object.__setattr__(rule, "_canonical", json.dumps(rule.to_dict(), sort_keys=True, separators=(",", ":"),
                                                          ensure_ascii=False))  # fmt: skip
        return rule

    def to_dict(self) -> dict[str, Any]:
        """The rule as a JSON object, with only the fields its kind uses."""
        if self.kind is RuleKind.ALLOW:
            return {"kind": "allow", "text": self.texts[0]}
        body: dict[str, Any] = {
            "kind": self.kind.value,
            "severity": self.severity.value,
            "category": self.category,
            "fuzzy": self.fuzzy,
        }
        if self.kind is RuleKind.NEAR:
            body["terms"] = list(self.texts)
            body["within"] = self.within
        else:
            body["text"] = self.texts[0]
        return body

    @property
    def canonical(self) -> str:
        """The one stored form: compact JSON, sorted keys. This is the value of the rule's ``term`` hash."""
        return self._canonical

    @property
    def rule_id(self) -> str:
        """A stable 12-character id derived from the canonical form; counters and explanations use it."""
        return hashlib.sha256(self._canonical.encode("utf-8")).hexdigest()[:12]

    def to_line(self) -> str:
        """The compact one-line form a rule file uses."""
        words = [self.kind.value, *(_quote(t) for t in self.texts)]
        if self.kind is not RuleKind.ALLOW:
            if self.kind is RuleKind.NEAR:
                words.append(f"within={self.within}")
            words += [f"severity={self.severity}", f"category={self.category}"]
            if not self.fuzzy:
                words.append("fuzzy=off")
        return " ".join(words)


def _quote(text: str) -> str:
    return text if re.fullmatch(r"[^\s\"'#=\\]+", text) else json.dumps(text, ensure_ascii=False)


def _clean_text(text: object) -> str:
    if not isinstance(text, str):
        raise InvalidRuleError(f"rule text must be a string, not {type(text).__name__}")
    cleaned = " ".join(unicodedata.normalize("NFC", text).split())
    if not cleaned:
        raise InvalidRuleError("rule text is empty")
    if len(cleaned) > MAX_RULE_TEXT_CHARS:
        raise InvalidRuleError(f"rule text is {len(cleaned)} characters; the limit is {MAX_RULE_TEXT_CHARS}")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co", "Cn") for c in cleaned):
        raise InvalidRuleError("rule text contains control, unassigned or invalid characters")
    skeleton = normalise(cleaned).despaced
    if len(skeleton) < MIN_RULE_TEXT_CHARS:
        raise InvalidRuleError(
            f"rule text {cleaned!r} normalises to {skeleton!r}: at least {MIN_RULE_TEXT_CHARS} letters or digits needed"
        )
    return cleaned


_BOOLS = {"on": True, "true": True, "yes": True, "off": False, "false": False, "no": False}


def parse_rule(value: str) -> Rule:
    """Parse one rule from its compact form or its JSON form; raise :class:`InvalidRuleError` with the reason."""
    if not isinstance(value, str):
        raise InvalidRuleError(f"a rule must be a string, not {type(value).__name__}")
    text = value.strip()
    if not text:
        raise InvalidRuleError("empty rule")
    if text.startswith("{"):
        return _parse_json(text)
    return _parse_compact(text)


def _parse_json(text: str) -> Rule:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRuleError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    if not isinstance(obj, dict):
        raise InvalidRuleError("a JSON rule must be an object")
    kind = obj.get("kind")
    allowed = {"kind", "text"} if kind == "allow" else {"kind", "severity", "category", "fuzzy"}
    allowed |= {"terms", "within"} if kind == "near" else {"text"}
    unknown = sorted(set(obj) - allowed)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise InvalidRuleError(f"unknown field{plural} for a {kind} rule: {', '.join(unknown)}")
    texts = obj.get("terms") if kind == "near" else [obj.get("text")]
    if not isinstance(texts, list):
        raise InvalidRuleError('a near rule needs "terms": a list of two words')
    return Rule.create(
        str(kind),
        texts,
        severity=obj.get("severity", Severity.MEDIUM),
        category=obj.get("category", "general"),
        fuzzy=obj.get("fuzzy", True),
        within=obj.get("within", DEFAULT_WITHIN),
    )


def _parse_compact(text: str) -> Rule:
    try:
        words = shlex.split(text, comments=False, posix=True)
    except ValueError as exc:
        raise InvalidRuleError(f"cannot split the rule into words: {exc}") from None
    kind, *rest = words
    texts = [w for w in rest if "=" not in w]
    options: dict[str, str] = {}
    for word in rest:
        if "=" in word:
            key, _, val = word.partition("=")
            if key in options:
                raise InvalidRuleError(f"option {key!r} given twice")
            options[key] = val
    allowed = set() if kind == "allow" else {"severity", "category", "fuzzy"}
    if kind == "near":
        allowed.add("within")
    unknown = sorted(set(options) - allowed)
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        raise InvalidRuleError(f"unknown option{plural} for a {kind} rule: {', '.join(unknown)}")
    if kind in ("term", "allow") and len(texts) > 1:
        # Unquoted words after the kind form one phrase, so `term plimmerbolt 9` means the phrase.
        texts = [" ".join(texts)]
    fuzzy = _BOOLS.get(options.get("fuzzy", "on").lower())
    if fuzzy is None:
        raise InvalidRuleError(f"fuzzy must be on or off, not {options['fuzzy']!r}")
    within_text = options.get("within", str(DEFAULT_WITHIN))
    if not within_text.isdigit():
        raise InvalidRuleError(f"within must be a whole number of words, not {within_text!r}")
    return Rule.create(
        kind,
        texts,
        severity=options.get("severity", Severity.MEDIUM),
        category=options.get("category", "general"),
        fuzzy=fuzzy,
        within=int(within_text),
    )


@dataclass(frozen=True, slots=True)
class TermList:
    """An ordered, duplicate-free set of rules: what a ``term`` hash list holds, one rule per entry."""

    rules: tuple[Rule, ...]

    def __iter__(self) -> Iterator[Rule]:
        return iter(self.rules)

    def __len__(self) -> int:
        return len(self.rules)

    @classmethod
    def from_rules(cls, rules: Iterable[Rule]) -> TermList:
        """A term list from rules already built; duplicates (same canonical form) are kept once."""
        seen: dict[str, Rule] = {}
        for rule in rules:
            seen.setdefault(rule.canonical, rule)
        return cls(tuple(seen.values()))

    @classmethod
    def from_lines(cls, lines: Iterable[str], *, source: str = "<rules>") -> TermList:
        """Parse a rule file's lines; blank lines and ``#`` comments are skipped.

        The first bad line raises :class:`RuleFileError` naming the source, the line number and the reason,
        and nothing is loaded: a half-loaded term list would silently stop deterring.
        """
        rules: list[Rule] = []
        first_line: dict[str, int] = {}
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            try:
                rule = parse_rule(stripped)
            except InvalidRuleError as exc:
                raise RuleFileError(f"{source}, line {number}: {exc.message}", line=number) from None
            if rule.canonical in first_line:
                raise RuleFileError(
                    f"{source}, line {number}: duplicate of the rule on line {first_line[rule.canonical]}", line=number
                )
            first_line[rule.canonical] = number
            rules.append(rule)
        return cls(tuple(rules))

    @classmethod
    def from_file(cls, path: Path) -> TermList:
        """Read a UTF-8 rule file (see :meth:`from_lines`)."""
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise FileAccessError(f"cannot read rule file {str(path)!r}: {exc.strerror or exc}") from None
        lines = raw.split(b"\n")
        decoded: list[str] = []
        for number, line in enumerate(lines, start=1):
            try:
                decoded.append(line.decode("utf-8-sig" if number == 1 else "utf-8"))
            except UnicodeDecodeError:
                raise RuleFileError(f"{path}, line {number}: not valid UTF-8", line=number) from None
        return cls.from_lines(decoded, source=str(path))

    @classmethod
    def from_entries(cls, values: Iterable[str]) -> TermList:
        """Rebuild a term list from the values of ``term`` hashes (canonical or compact forms)."""
        return cls.from_rules(parse_rule(v) for v in values)

    def to_entries(self) -> list[str]:
        """The canonical value of every rule, one per hash-list entry."""
        return [r.canonical for r in self.rules]

    def to_lines(self) -> list[str]:
        """The rules in the compact rule-file form."""
        return [r.to_line() for r in self.rules]

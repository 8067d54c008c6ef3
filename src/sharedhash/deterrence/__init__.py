"""Deterrence: normalise search queries and match them against term lists. Pure library (no web, no database)."""

from sharedhash.deterrence.matcher import CheckResult, Matcher, MatchHow, RuleMatch
from sharedhash.deterrence.normalise import NormalisedText, QueryNote, normalise
from sharedhash.deterrence.rules import Rule, RuleKind, Severity, TermList, parse_rule

__all__ = [
    "CheckResult",
    "MatchHow",
    "Matcher",
    "NormalisedText",
    "QueryNote",
    "Rule",
    "RuleKind",
    "RuleMatch",
    "Severity",
    "TermList",
    "normalise",
    "parse_rule",
]

"""Errors of the deterrence package, under the branches of :mod:`sharedhash.errors`."""

from __future__ import annotations

from sharedhash.errors import InvalidHashError, InvalidInputError

RULE_SYNTAX_HINT = (
    'Write one rule a line: `term zorblax`, `term "plimmerbolt 9" severity=high category=placeholder`, '
    '`near quuxvid frobnitz within=3`, `allow "zorblax museum"`, or the same rule as a JSON object. '
    "See docs/deterrence.md."
)


class InvalidRuleError(InvalidHashError):
    """A term-list rule that cannot be parsed or makes no sense; a rule is the value of a ``term`` hash."""

    code = "invalid_rule"
    default_hint = RULE_SYNTAX_HINT


class RuleFileError(InvalidInputError):
    """A rule file with at least one bad line; the message names the first line and the reason."""

    code = "invalid_rule_file"
    default_hint = RULE_SYNTAX_HINT


class InvalidCatalogError(InvalidInputError):
    """A message catalog or help-resource list that is incomplete or malformed."""

    code = "invalid_catalog"
    default_hint = "Every language needs the four messages (illegal, harm, consequences, help); see docs/deterrence.md."


class LexiconFileError(InvalidInputError):
    """A lexicon data file that is not in the expected format or was built by another normaliser version."""

    code = "invalid_lexicon_file"
    default_hint = "Rebuild it: python -m sharedhash.deterrence.build_lexicon --output FILE (see docs/deterrence.md)."


class LetterlikeFileError(InvalidInputError):
    """The shipped letter-like table is missing or damaged (a broken installation)."""

    code = "invalid_letterlike_file"
    default_hint = "Rebuild it: python -m sharedhash.deterrence.build_letterlike (see docs/deterrence.md)."

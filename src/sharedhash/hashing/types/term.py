"""``term``: a term-list rule as a hash value, so term lists are hash lists shared and synced like any other.

The value is the rule's canonical JSON (see :mod:`sharedhash.deterrence.rules`); two values match only when they
are the same rule. Rules are written by term-list maintainers, never computed from media.
"""

from __future__ import annotations

from typing import BinaryIO

from sharedhash.errors import InvalidInputError
from sharedhash.hashing.types.base import ContentKind, HashType


class TermHashType(HashType):
    """A deterrence rule (term, co-occurrence or allow phrase), compared by exact equality of canonical forms."""

    name = "term"
    content = frozenset({ContentKind.TEXT})
    max_distance = 0
    default_threshold = 0
    examples = (
        '{"category":"placeholder","fuzzy":true,"kind":"term","severity":"high","text":"zorblax"}',
        '{"category":"general","fuzzy":true,"kind":"near","severity":"medium","terms":["quuxvid","frobnitz"],'
        '"within":3}',
        '{"kind":"allow","text":"zorblax museum"}',
    )

    def _canonicalise(self, value: str) -> str:
        # Imported here so that listing hash types never pays for the deterrence package.
        from sharedhash.deterrence.rules import parse_rule

        return parse_rule(value).canonical

    def _distance(self, a: str, b: str) -> int:
        return 0 if a == b else 1

    def hash_stream(self, stream: BinaryIO) -> str:
        raise InvalidInputError(
            "term values are deterrence rules written by term-list maintainers; they are not computed from media",
            hint="Add rules with a rule file (`sharedhash deter test --rules FILE`) or as term hash-list entries.",
        )

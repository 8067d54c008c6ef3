"""Reading stored JSON that a later read must not choke on: defence in depth behind the API's text rule.

The API refuses text with a lone UTF-16 surrogate (:func:`sharedhash.limits.text_problem`), but a row written
before that rule, or by another tool, may hold one as a JSON escape (``"\\ud800"``: JSON columns are written
ASCII-only). Such a string has no UTF-8 form, so one row would break every answer that carries it (lookups,
pages, exports, the feed and the mirrors that sync it). Readers therefore replace each lone surrogate with U+FFFD
(the Unicode replacement character) when they decode stored JSON, row by row; well-formed pairs (emoji written as
``\\ud83d\\ude00``) decode as they always did. The check is a substring test, so clean rows cost nothing more.
"""

from __future__ import annotations

import json
import re
from typing import Any

_ESCAPED_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _replace(value: Any) -> Any:
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value) if not _is_utf8(value) else value
    if isinstance(value, list):
        return [_replace(v) for v in value]
    if isinstance(value, dict):
        return {_replace(k): _replace(v) for k, v in value.items()}
    return value


def _is_utf8(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def load_json(text: str | bytes | bytearray | memoryview) -> Any:
    """``json.loads(text)`` with every lone surrogate replaced by U+FFFD (the engines' JSON column reader; psycopg
    hands it bytes)."""
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8")
    value = json.loads(text)
    return _replace(value) if _ESCAPED_SURROGATE.search(text) else value


def clean_json_text(text: str) -> str:
    """Stored JSON text to embed in an answer as it is, with lone surrogates replaced (unchanged if none)."""
    if not _ESCAPED_SURROGATE.search(text):
        return text
    value = json.loads(text)
    cleaned = _replace(value)
    return text if cleaned == value else json.dumps(cleaned, separators=(",", ":"))

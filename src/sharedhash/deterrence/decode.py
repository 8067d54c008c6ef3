"""Readings of a query that arrives still encoded, and of characters that are both a separator and a letter.

A search box receives what URLs, HTML pages and P2P clients leave undecoded: ``%7A%6F``, ``&#122;``, ``\\u007a``,
``xn--`` labels, ``+`` for a space. Each decoding is applied while its marks are present, at most ``MAX_ROUNDS``
times (double encoding is common; unbounded decoding is a denial of service), and every distinct text met on the
way is a reading to check, because a text that merely looks encoded ("100%25 cotton", "c++") must still be
checked as written. Base64 is not decoded: nobody types it into a search box, a search engine does not decode it
for them either, and every ordinary word of 4n letters is valid base64 that decodes to noise.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

#: Most decoding rounds: a double-encoded query ("%2541" is "%41" is "A") needs two, a third costs nothing.
MAX_ROUNDS = 3
#: Most readings one query yields (decodings and '+' both ways); the rest are not checked.
MAX_READINGS = 8

_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
_ESCAPE = re.compile(r"\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|x[0-9A-Fa-f]{2}|u\{[0-9A-Fa-f]{1,6}\})")
_PUNYCODE = re.compile(r"(?i)\bxn--([a-z0-9-]+)")
_PLUS = re.compile(r"(?<=\w)\+(?=\w)")
#: A cheap test for "maybe encoded": only queries holding one of these characters are looked at further.
MARKS = re.compile(r"[%&\\+]|xn--", re.IGNORECASE)


def _escape(match: re.Match[str]) -> str:
    body = match.group(0)[2:].strip("{}")
    code = int(body, 16)
    return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else ""


def _punycode(match: re.Match[str]) -> str:
    try:
        return match.group(1).encode("ascii").decode("punycode")
    except (UnicodeError, ValueError):
        return match.group(0)


def _percent(text: str) -> str:
    # Undecodable bytes are dropped, exactly as the normaliser drops them from raw input.
    return unquote(text, errors="ignore") if _PERCENT.search(text) else text


def _entities(text: str) -> str:
    return html.unescape(text) if _ENTITY.search(text) else text


def _escapes(text: str) -> str:
    return _ESCAPE.sub(_escape, text)


def _plus(text: str) -> str:
    return _PLUS.sub(" ", text)


def _idna(text: str) -> str:
    return _PUNYCODE.sub(_punycode, text)


@dataclass(frozen=True, slots=True)
class Decoder:
    """One encoding a query may carry, by name, and the function that undoes it."""

    name: str
    undo: Callable[[str], str]


#: The decodings tried, in this order within each round.
DECODERS = (
    Decoder("url_percent", _percent),
    Decoder("html_entities", _entities),
    Decoder("backslash_escapes", _escapes),
    Decoder("punycode", _idna),
    Decoder("plus_as_space", _plus),
)


@dataclass(frozen=True, slots=True)
class Reading:
    """One text to check for a query, and the decodings that led to it (empty: the query as received)."""

    text: str
    steps: tuple[str, ...] = ()


def decoded_readings(query: str) -> list[Reading]:
    """The query as received, then every distinct text its decodings give, breadth first, at most
    ``MAX_ROUNDS`` decodings deep and ``MAX_READINGS`` readings in all."""
    readings = [Reading(query)]
    if not MARKS.search(query):
        return readings
    seen = {query}
    frontier = readings
    for _ in range(MAX_ROUNDS):
        following: list[Reading] = []
        for reading in frontier:
            for decoder in DECODERS:
                text = decoder.undo(reading.text)
                if text in seen:
                    continue
                seen.add(text)
                following.append(Reading(text, (*reading.steps, decoder.name)))
                if len(readings) + len(following) >= MAX_READINGS:
                    return readings + following
        if not following:
            break
        readings += following
        frontier = following
    return readings

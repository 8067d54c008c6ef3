"""Queries that arrive encoded, and symbols read both as letters and as separators."""

from __future__ import annotations

import pytest

from sharedhash.deterrence import Matcher, Rule
from sharedhash.deterrence.decode import MAX_READINGS, MAX_ROUNDS, decoded_readings
from sharedhash.deterrence.lexicon import Lexicon
from sharedhash.deterrence.normalise import normalise, readings


def _encode_percent(text: str) -> str:
    return "".join(f"%{ord(c):02X}" for c in text)


@pytest.mark.parametrize(
    "query",
    [
        _encode_percent("zorblax") + "%20video",
        _encode_percent(_encode_percent("zorblax")),  # encoded twice
        "".join(f"&#{ord(c)};" for c in "zorblax") + " video",
        "".join(f"&#x{ord(c):x};" for c in "zorblax"),
        "z&oacute;rbl&aacute;x",
        "".join(f"\\u{ord(c):04x}" for c in "zorblax"),
        "download+zorblax+video",
        "magnet:?xt=urn:btih:0000&dn=" + _encode_percent("zorblax") + "+video",
        "zorb|ax",  # '|' is an l or a separator; here it is an l
        "zorb@lax",  # '@' is an a or a separator; here a separator
        "zorb+lax",  # '+' is a t or a separator; here a separator
    ],
)
def test_encoded_and_ambiguous_queries_are_deterred(matcher: Matcher, query: str) -> None:
    result = matcher.check(query)
    assert result.deter, [r.text.spaced for r in readings(query)]
    assert result.matches[0].rule.texts[0] == "zorblax"


def test_the_reading_that_fired_is_named(matcher: Matcher) -> None:
    match = matcher.check(_encode_percent("zorblax")).matches[0]
    assert match.reading == "url_percent"
    assert "reading: url_percent" in match.explain()


def test_a_query_that_merely_looks_encoded_is_also_checked_as_written(matcher: Matcher) -> None:
    # "%7A" decodes to "z"; the query as typed holds the term too.
    assert matcher.check("zorblax 100%7A").deter
    assert [r.steps for r in decoded_readings("100%25 cotton")] == [(), ("url_percent",)]


def test_decoding_is_bounded() -> None:
    deep = "zorblax"
    for _ in range(10):
        deep = _encode_percent(deep)
    found = decoded_readings(deep)
    assert len(found) <= MAX_READINGS
    assert max(len(r.steps) for r in found) <= MAX_ROUNDS


def test_plain_queries_have_one_reading() -> None:
    assert [r.label for r in readings("ordinary garden video")] == ["as received"]
    assert [r.label for r in readings("a|b")] == ["as received", "as received, symbols as separators"]


def test_symbols_read_as_letters_count_for_exact_matches_only(matcher: Matcher) -> None:
    # "zorb@x" read with "@" as "a" is one edit from the term: misspelling on top of an ambiguous reading is not
    # enough (it made e-mail addresses match); read with "@" as a separator, it is two words far from the term.
    assert matcher.check("zorb@lax").deter
    assert matcher.check("z0rbl@x").deter
    assert not matcher.check("zorb@x").deter
    assert matcher.check("zorbax").deter  # the same misspelling typed plainly


def test_a_term_across_a_symbol_read_as_a_letter_inside_a_longer_word_does_not_count(matcher: Matcher) -> None:
    # "kzorbl@xmail.net" read with "@" as "a" holds "zorblax" inside the longer word "kzorblaxmail", across the
    # "@": glued to other letters AND read through a symbol, two disguises stacked (as e-mail addresses are).
    assert not matcher.check("kzorbl@xmail.net").deter
    assert matcher.check("zorbl@x video").deter  # the whole word through the symbol still counts
    assert matcher.check("zorbl@x.zip").deter
    assert matcher.check("kzorblaxmail video").deter  # inside a longer word, typed plainly, too
    # A term inside a word the symbol did not touch is found in the reading with symbols as separators.
    assert matcher.check("kzorblax@mail.net").deter


def test_digits_read_as_letters_count_for_exact_matches_only(matcher: Matcher) -> None:
    assert matcher.check("z0rbl4x video").deter  # leetspeak, exact
    assert matcher.check("zorblqx video").deter  # a misspelling, typed as letters
    assert not matcher.check("z0rblqx video").deter  # a misspelling on top of digits read as letters
    assert matcher.check("plimerbolt 9").deter  # a number standing alone is what was typed
    # ... unless it is as long as a term: read as letters, then misspelt, it is two readings stacked.
    assert normalise("bug 2024 #644131").digits_read == (False, False, True)
    long_number = Matcher([Rule.create("term", ["baffflei"])], lexicon=Lexicon())
    assert not long_number.check("bug #644131").deter  # "baiei", one edit from the skeleton "bafiei"
    assert long_number.check("bug #6aff131").deter  # digits with letters, exact: leetspeak
    assert long_number.check("baffiei video").deter  # the misspelling typed as letters

"""The normaliser: every obfuscation meets the plain skeleton, and no input makes it raise."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sharedhash.deterrence import QueryNote, normalise

SKELETON = normalise("zorblax").despaced


@pytest.mark.parametrize(
    "query",
    [
        "ZORBLAX",  # case
        "z0rbl4x",  # leetspeak
        "z0rb1@x",  # 1 for l, @ for a
        "zorb|ax",  # | for l
        "zоrblах",  # Cyrillic о, а, х
        "zorblαx",  # Greek alpha
        "ｚｏｒｂｌａｘ",  # fullwidth
        "𝐳𝐨𝐫𝐛𝐥𝐚𝐱",  # mathematical bold
        "𝔷𝔬𝔯𝔟𝔩𝔞𝔵",  # mathematical fraktur
        "zo\u200brb\u200dlax",  # zero-width characters
        "zor\u00adblax",  # soft hyphen
        "zörbláx",  # diacritics, precomposed
        "zo\u0308rbla\u0301x",  # combining marks
        "z.o.r.b.l.a.x",  # separators
        "z o r b l a x",
        "z_o-r*b~l/a x",
        "z . 0 . r . b . | . @ . x",  # lone leet symbols, spelled out
        "zzzooorrrbbllaaaxx",  # repeats
        "ZоRВ1Ах",  # combined
    ],
)
def test_obfuscations_meet_the_plain_skeleton(query: str) -> None:
    assert normalise(query).despaced == SKELETON


def test_words_and_offsets() -> None:
    text = normalise("Zorblax, quuxvid!")
    assert text.tokens == ("zorbiax", "quxvid")
    assert text.despaced == "zorbiaxquxvid"
    assert [text.despaced[s:e] for s, e in zip(text.starts, text.ends, strict=True)] == list(text.tokens)


def test_punctuation_at_a_word_end_is_not_a_letter() -> None:
    assert normalise("zorblax!").tokens == ("zorbiax",)
    assert normalise("$zorblax").tokens == ("szorbiax",)


def test_letter_repeated_across_words_is_written_once() -> None:
    assert normalise("zorblax xylo").despaced == normalise("zorblaxxylo").despaced


@pytest.mark.parametrize("query", ["", "   ", "...?", "\u200b\u200b", b""])
def test_empty(query: str | bytes) -> None:
    text = normalise(query)
    assert text.tokens == ()
    assert QueryNote.EMPTY in text.notes


def test_huge_query_is_truncated_and_noted() -> None:
    text = normalise("zorblax " * 10_000, max_chars=100)
    assert QueryNote.TRUNCATED in text.notes
    assert len(text.tokens) <= 13


def test_invalid_utf8_bytes_are_dropped_and_noted() -> None:
    text = normalise(b"zor\xff\xfeblax")
    assert text.despaced == SKELETON
    assert QueryNote.INVALID_UNICODE in text.notes


def test_lone_surrogates_are_dropped_and_noted() -> None:
    text = normalise("zor\udcffblax")
    assert text.despaced == SKELETON
    assert QueryNote.INVALID_UNICODE in text.notes


def test_control_characters_are_separators() -> None:
    text = normalise("zorblax\x00\x01quuxvid")
    assert text.tokens == ("zorbiax", "quxvid")
    assert QueryNote.CONTROL_CHARACTERS in text.notes


@settings(max_examples=150, deadline=None)
@given(st.one_of(st.text(), st.binary()))
def test_never_raises(query: str | bytes) -> None:
    text = normalise(query, max_chars=500)
    assert all(token for token in text.tokens)
    assert " " not in text.despaced

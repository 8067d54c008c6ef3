"""The normaliser's fast paths (issue 16, speed16; ASCII text in the C kernel among them) answer exactly what the
general code they replaced answers.

``_reference_*`` below are the code as it was before the fast paths (one repeat substitution per word, no
one-word or no-single-letter shortcuts, ``dataclasses.replace`` for the per-token flags, every query through
the decodings' bookkeeping, digits found by ``str.isdigit``): each property test compares them with today's code
on generated strings of the characters the fast paths look at.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sharedhash.deterrence.decode import decoded_readings
from sharedhash.deterrence.normalise import NormalisedText, QueryNote, QueryReading, normalise, only_reading, readings

n = importlib.import_module("sharedhash.deterrence.normalise")  # the module (the package exports the function)


def _reference_decode_query(query: str | bytes) -> tuple[str, list[QueryNote]]:
    notes: list[QueryNote] = []
    if isinstance(query, bytes | bytearray):
        text = bytes(query).decode("utf-8", errors="replace")
        if "\ufffd" in text:
            notes.append(QueryNote.INVALID_UNICODE)
            text = text.replace("\ufffd", "")
        return text, notes
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        notes.append(QueryNote.INVALID_UNICODE)
        query = query.encode("utf-8", errors="ignore").decode("utf-8")
    return query, notes


def _reference_digits_read(text: str) -> tuple[bool, ...]:
    flags: list[bool] = []
    run: list[str] = []
    for token in n._NON_WORD.sub(" ", text).split():
        if len(token) == 1:
            run.append(token)
            continue
        if run:
            flags.append(len(run) > 1 and any(c.isdigit() for c in run))
            run = []
        flags.append(len(token) >= n.NUMBER_READ_FROM if token.isdigit() else any(c.isdigit() for c in token))
    if run:
        flags.append(len(run) > 1 and any(c.isdigit() for c in run))
    return tuple(flags)


def _reference_join_spelled_out(tokens: list[str]) -> list[str]:
    out: list[str] = []
    run: list[str] = []
    for token in tokens:
        if len(token) == 1:
            run.append(token)
            continue
        if run:
            out.append("".join(run))
            run = []
        out.append(token)
    if run:
        out.append("".join(run))
    return out


def _reference_despace(
    tokens: list[str], raw: list[str], notes: tuple[QueryNote, ...], collapse: bool, typed: str | None = None
) -> NormalisedText:
    parts: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    last = ""
    for token in tokens:
        piece = token[1:] if collapse and last and token[0] == last else token
        starts.append(pos - (len(token) - len(piece)))
        parts.append(piece)
        pos += len(piece)
        ends.append(pos)
        last = token[-1]
    return NormalisedText(tuple(tokens), "".join(parts), tuple(starts), tuple(ends), notes, tuple(raw), typed=typed)


def _reference_normalise(
    query: str | bytes, *, max_chars: int | None = None, collapse: bool = True, symbols_as_letters: bool = True
) -> NormalisedText:
    text, notes = _reference_decode_query(query)
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars]
        notes.append(QueryNote.TRUNCATED)
    typed: str | None = None
    if text.isascii():
        typed = text
        text = text.lower()
        if n._ASCII_CONTROL.search(text):
            notes.append(QueryNote.CONTROL_CHARACTERS)
    else:
        typed = text
        text, control = n._fold_unicode(text)
        if control:
            notes.append(QueryNote.CONTROL_CHARACTERS)
    beside_symbols: tuple[bool, ...] = ()
    if n._HAS_SYMBOL.search(text):
        if symbols_as_letters:
            text = n._SYMBOL_ALONE.sub(n._leet_symbol_alone, n._SYMBOL_IN_WORD.sub(n._leet_symbol, text))
            if typed is not None:
                typed = n._SYMBOL_ALONE.sub(" 0 ", n._SYMBOL_IN_WORD.sub("0", typed))
        else:
            beside_symbols = n._beside_symbols(text)
            text = n._HAS_SYMBOL.sub(" ", text)
    digits_read = _reference_digits_read(text) if n._DIGIT.search(text) else ()
    text = text.translate(n._LEET_ALNUM)
    text = n._NON_WORD.sub(" ", text)
    raw = _reference_join_spelled_out(text.split())
    tokens = [n._REPEATS.sub(n._FIRST, t) for t in raw] if collapse else raw
    if not tokens:
        return NormalisedText((), "", (), (), (*notes, QueryNote.EMPTY))
    result = _reference_despace(tokens, raw, tuple(notes), collapse, typed)
    if digits_read and any(digits_read):
        result = replace(result, digits_read=digits_read)
    if any(beside_symbols):
        result = replace(result, beside_symbols=beside_symbols)
    return result


def _reference_readings(query: str | bytes, *, max_chars: int | None = None) -> Iterator[QueryReading]:
    text, _ = _reference_decode_query(query)
    if max_chars is not None and len(text) > max_chars:
        text = text[:max_chars]
    seen: set[tuple[str, ...]] = set()
    for reading in decoded_readings(text):
        source: str | bytes = query if not reading.steps else reading.text
        symbols = n._HAS_SYMBOL.search(reading.text) is not None
        for as_letters in (True, False) if symbols else (True,):
            normal = _reference_normalise(source, max_chars=max_chars, symbols_as_letters=as_letters)
            if normal.tokens in seen:
                continue
            seen.add(normal.tokens)
            yield QueryReading(reading.steps, as_letters, normal, ambiguous=as_letters and symbols)


# Plain ASCII words and phrases (the fast paths' case) mixed with everything that leaves them: digits, leetspeak
# symbols, encodings' marks, single letters spelled out, repeats, accents, look-alikes, controls, a lone surrogate.
_alphabet = st.sampled_from(
    [*"zorblaxquvidmeeoo", *"ZOLI", *"0123456789", *" .-_,'/:", "  ", "\t", *"@$!|+€£¢", *"%&\\;#x",
     "xn--", "%7A", "&#122;", "é", "ѐ", "ｚ", "\u200b", "\x00", "\x85", "\ud800", "²", "٣", "𝟏"]
)  # fmt: skip
_queries = st.lists(_alphabet, max_size=30).map("".join)


@settings(max_examples=1500, deadline=None)
@given(query=_queries, max_chars=st.sampled_from([None, 5, 1000]), collapse=st.booleans(), letters=st.booleans())
@example(query="zorblax", max_chars=None, collapse=True, letters=True)
@example(query="z o r b l a x  zzorbb video 12345 v1.0", max_chars=None, collapse=True, letters=True)
def test_normalise_answers_as_the_general_code(
    query: str, max_chars: int | None, collapse: bool, letters: bool
) -> None:
    expected = _reference_normalise(query, max_chars=max_chars, collapse=collapse, symbols_as_letters=letters)
    assert normalise(query, max_chars=max_chars, collapse=collapse, symbols_as_letters=letters) == expected
    encoded = query.encode("utf-8", errors="surrogatepass")
    assert normalise(encoded, max_chars=max_chars) == _reference_normalise(encoded, max_chars=max_chars)


@settings(max_examples=1500, deadline=None)
@given(query=_queries, max_chars=st.sampled_from([None, 5, 1000]))
@example(query="zorblax video", max_chars=None)
@example(query="zorb|ax %7A", max_chars=None)
@example(query="zorblax xylo video oompa", max_chars=None)
def test_readings_answer_as_the_general_code(query: str, max_chars: int | None) -> None:
    expected = list(_reference_readings(query, max_chars=max_chars))
    assert list(readings(query, max_chars=max_chars)) == expected
    only = only_reading(query, max_chars=max_chars)
    if only is not None:
        assert expected == [QueryReading((), True, only)]
    encoded = query.encode("utf-8", errors="surrogatepass")
    assert list(readings(encoded, max_chars=max_chars)) == list(_reference_readings(encoded, max_chars=max_chars))


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_readings_of_any_text_answer_as_the_general_code(query: str) -> None:
    assert list(readings(query)) == list(_reference_readings(query))


# Every ASCII character, words of letters and digits (repeats, spelled-out letters, numbers) most of all.
_ascii = st.lists(
    st.one_of(
        st.sampled_from(["zorb", "lax", "oo", "video", "1", "0", "12345", "v1", "z", "a", "b", " ", "  ", ".", "_"]),
        st.characters(max_codepoint=127),
    ),
    max_size=25,
).map("".join)


@settings(max_examples=2000, deadline=None)
@given(query=_ascii, max_chars=st.sampled_from([None, 4, 1000]), collapse=st.booleans())
@example(query="Zorb1AX  z.o.r.b  kill__ll 007 v1.0 12345 1 2 3 \x01", max_chars=None, collapse=True)
@example(query="", max_chars=None, collapse=True)
@example(query=" ._ ", max_chars=None, collapse=False)
def test_ascii_in_the_kernel_and_in_python_answer_as_the_general_code(
    query: str, max_chars: int | None, collapse: bool
) -> None:
    expected = _reference_normalise(query, max_chars=max_chars, collapse=collapse)
    assert normalise(query, max_chars=max_chars, collapse=collapse) == expected
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(n, "_NATIVE_ASCII", None)  # the Python code, as without the kernel
        assert normalise(query, max_chars=max_chars, collapse=collapse) == expected


def test_ascii_in_the_kernel_rejects_what_it_does_not_read() -> None:
    native = n._NATIVE_ASCII
    if native is None:
        return
    assert native("zorb@x", True, 5) is None  # a symbol read as a letter: the Python code reads it
    with pytest.raises(ValueError, match="ASCII"):
        native("zorbé", True, 5)
    with pytest.raises(TypeError, match="3 arguments"):
        native("zorb", True)

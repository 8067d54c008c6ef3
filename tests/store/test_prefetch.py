"""A producer in a background thread: same items in the same order, its errors in place, stopped on close."""

from __future__ import annotations

import threading
from collections.abc import Generator, Iterator

import pytest

from sharedhash.store.prefetch import prefetched


def test_items_arrive_in_order() -> None:
    assert list(prefetched(range(2345), chunk=100, depth=2)) == list(range(2345))
    assert list(prefetched([], chunk=10)) == []


def test_a_producer_error_is_raised_at_its_place() -> None:
    def items() -> Iterator[int]:
        yield from range(25)
        raise ValueError("line 26 is not UTF-8")

    got: list[int] = []

    def consume() -> None:
        for item in prefetched(items(), chunk=10):
            got.append(item)

    with pytest.raises(ValueError, match="line 26"):
        consume()
    assert got == list(range(25))


def test_closing_early_stops_the_producer() -> None:
    produced = 0
    finished = threading.Event()

    def items() -> Iterator[int]:
        nonlocal produced
        try:
            for i in range(10**9):
                produced += 1
                yield i
        finally:
            finished.set()

    stream = prefetched(items(), chunk=10, depth=2)
    assert isinstance(stream, Generator)
    assert next(stream) == 0
    stream.close()
    assert produced < 1000  # bounded read-ahead, then stopped
    assert not any(t.name == "sharedhash-prefetch" and t.is_alive() for t in threading.enumerate())

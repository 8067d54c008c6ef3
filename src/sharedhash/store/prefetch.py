"""Running a producer (parsing an import body) in a thread beside its consumer (writing to the database).

SQLite's B-tree work and PostgreSQL's COPY run without Python's GIL, so a bulk import whose lines are parsed in a
second thread keeps both cores busy: measured, parsing is about a third of an import's time on one thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class _Failed:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def prefetched(items: Iterable[T], *, chunk: int = 500, depth: int = 16) -> Iterator[T]:
    """Yield ``items`` in order, produced by a background thread up to ``depth`` chunks ahead.

    An exception raised by the producer is raised here, at its place in the sequence. Closing this generator
    early (the consumer failed) stops the producer at its next chunk.
    """
    handoff: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        batch: list[T] = []
        try:
            for item in items:
                batch.append(item)
                if len(batch) >= chunk:
                    if not _put(handoff, batch, stop):
                        return
                    batch = []
            if batch and not _put(handoff, batch, stop):
                return
            _put(handoff, _DONE, stop)
        except BaseException as exc:  # handed to the consumer, which raises it in its own thread
            if not batch or _put(handoff, batch, stop):
                _put(handoff, _Failed(exc), stop)

    worker = threading.Thread(target=produce, name="sharedhash-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            got = handoff.get()
            if got is _DONE:
                return
            if isinstance(got, _Failed):
                raise got.exc
            yield from got  # type: ignore[misc]
    finally:
        stop.set()
        worker.join()


def _put(handoff: queue.Queue[object], item: object, stop: threading.Event) -> bool:
    """Put ``item`` unless the consumer has gone; False once it has."""
    while not stop.is_set():
        try:
            handoff.put(item, timeout=0.1)
            return True
        except queue.Full:
            continue
    return False

"""The copier thread of a PostgreSQL bulk write: COPY statements (and id draws) run in order on the import's own
connection and transaction, while the import thread prepares the next batch."""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")


class Copier:
    """A thread that runs a connection's statements in order while the thread that queued them goes on.

    The database server takes a COPY's rows at its own pace, and the client waits for it at the end: measured on
    a 1M-entry import, a third of the import thread's time. Queued here, that wait overlaps formatting the next
    batch. Nothing else may use the connection until :meth:`drain` has returned.
    """

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._jobs: queue.Queue[tuple[Callable[[Any], Any], Future[Any] | None] | None] = queue.Queue(maxsize=8)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="sharedhash-copy", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            work, future = job
            try:
                if self._error is not None:
                    raise self._error  # a statement before this one failed: the transaction is lost
                result = work(self._raw)
                if future is not None:
                    future.set_result(result)
            except BaseException as exc:  # handed to the queuing thread at its next call
                if self._error is None:
                    self._error = exc
                if future is not None:
                    future.set_exception(exc)
            self._jobs.task_done()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _put(self, work: Callable[[Any], Any], future: Future[Any] | None) -> None:
        self._raise()
        self._jobs.put((work, future))

    def copy(self, sql: str, pieces: list[str]) -> None:
        """Queue one COPY of ``pieces`` (waits while 8 statements are queued)."""

        def run(raw: Any) -> None:
            with raw.cursor() as cursor, cursor.copy(sql) as copy:
                for piece in pieces:
                    copy.write(piece)

        self._put(run, None)

    def call(self, work: Callable[[Any], T]) -> Future[T]:
        """Queue ``work(connection)`` after what is queued; its result comes in the future."""
        future: Future[T] = Future()
        self._put(work, future)
        return future

    def drain(self) -> None:
        """Wait until every queued statement has run; raise the first failure."""
        self._jobs.join()
        self._raise()

    def close(self) -> None:
        """Stop the thread once what is queued has run (or been skipped after a failure)."""
        self._jobs.put(None)
        self._thread.join()

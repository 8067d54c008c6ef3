"""The decode memory budget (issue 18): every upload that decodes an image or a video reserves, before decoding,
what its header says the decode will take (``hashing.decode.memory_needed``, ``hashing.video.memory_needed``) plus
the file's own bytes held in memory, out of one budget shared by all concurrent decodes
(``SHAREDHASH_DECODE_MEMORY_BYTES``). A request beyond what is free waits up to ``decode_wait_seconds`` for other
decodes to finish, then gets 503 ``busy`` with ``Retry-After``; one whose need exceeds the whole budget is refused
at once (422 ``image_too_large``, as the pixel limit), since it could never run. Memory is bounded by the
configuration, not by the input."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sharedhash.errors import ImageTooLargeError
from sharedhash.hub_errors import BusyError


class DecodeBudget:
    """A counting semaphore of bytes, shared by the threads that decode uploads."""

    def __init__(self, total: int, wait_seconds: float) -> None:
        self.total = total
        self.wait_seconds = wait_seconds
        self._free = total
        self._cond = threading.Condition()
        #: The most bytes ever reserved at once (for tests and the benchmark).
        self.peak = 0
        #: Requests answered 503 because the budget stayed taken.
        self.refused = 0

    @property
    def reserved(self) -> int:
        """Bytes reserved right now."""
        with self._cond:
            return self.total - self._free

    @contextmanager
    def reserve(self, need: int, what: str = "the upload") -> Iterator[None]:
        """Hold ``need`` bytes of the budget while the block runs; wait for them up to ``wait_seconds``."""
        if need > self.total:
            raise ImageTooLargeError(
                f"decoding {what} needs about {need / 2**20:,.0f} MiB, more than the hub's whole decode memory "
                f"budget of {self.total / 2**20:,.0f} MiB",
                hint="Send a smaller file, or raise SHAREDHASH_DECODE_MEMORY_BYTES on the hub.",
            )
        deadline = time.monotonic() + self.wait_seconds
        with self._cond:
            while self._free < need:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.refused += 1
                    raise BusyError(
                        f"the hub's decode memory is taken by other uploads ({what} needs about "
                        f"{need / 2**20:,.0f} MiB)"
                    )
                self._cond.wait(left)
            self._free -= need
            self.peak = max(self.peak, self.total - self._free)
        try:
            yield
        finally:
            with self._cond:
                self._free += need
                self._cond.notify_all()

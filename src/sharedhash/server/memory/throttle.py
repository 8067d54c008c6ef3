"""Failed sign-ins per client address in a sliding window, in memory (the per-person lock-out is in the database)."""

from __future__ import annotations

import threading
import time
from collections import deque


class SignInThrottle:
    """At most ``limit`` failed sign-ins per address within ``window`` seconds."""

    def __init__(self, limit: int = 20, window: float = 600.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def blocked(self, address: str) -> bool:
        """Whether this address used up its failed attempts."""
        with self._lock:
            return len(self._recent(address, time.monotonic())) >= self.limit

    def failed(self, address: str) -> None:
        """Count one failed sign-in from this address."""
        with self._lock:
            now = time.monotonic()
            self._recent(address, now).append(now)
            if len(self._failures) > 100_000:  # bound the memory a spray of addresses can take
                self._failures = {a: t for a, t in self._failures.items() if t and t[-1] > now - self.window}

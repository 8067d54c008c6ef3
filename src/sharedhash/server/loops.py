"""The one loop registry of a running hub: every background loop (index follower, subscriptions, audit and
counter flushes, WAL checkpoints, deterrence rules, the entry-cache warmer) is registered here and runs the same
way: a thread that runs its work every N seconds until the stop event is set, logs a failure and retries the next
round (a database hiccup must not end a background thread), and may run a last round when it stops."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


def every(stop: threading.Event, seconds: float, work: Callable[[], object], what: str) -> None:
    """Run ``work`` every ``seconds`` until ``stop`` is set; a failure is logged and the next round retries."""
    while not stop.wait(seconds):
        try:
            work()
        except Exception:
            log.exception("%s failed; retrying", what)


@dataclass(frozen=True, slots=True)
class Loop:
    """One registered loop: ``work`` every ``seconds``; ``first`` once before the rounds (a failure is logged and
    the rounds go on; if it returns False, the loop ends); ``last`` once after ``stop`` is set."""

    name: str
    what: str
    seconds: float
    work: Callable[[], object]
    first: Callable[[], object] | None = None
    last: Callable[[], object] | None = None


@dataclass
class LoopRegistry:
    """The loops of one hub; :meth:`start` runs each in its own daemon thread, all ending when ``stop`` is set."""

    stop: threading.Event
    loops: list[Loop] = field(default_factory=list)
    threads: list[threading.Thread] = field(default_factory=list)

    def add(self, loop: Loop) -> None:
        """Register a loop (before :meth:`start`)."""
        self.loops.append(loop)

    def add_thread(self, name: str, target: Callable[[], None]) -> None:
        """Register a thread that runs its own schedule (it must end when ``stop`` is set)."""
        self.threads.append(threading.Thread(target=target, name=name, daemon=True))

    def _run(self, loop: Loop) -> None:
        if loop.first is not None:
            try:
                if loop.first() is False:
                    return
            except Exception:
                log.exception("%s: starting failed", loop.what)
        every(self.stop, loop.seconds, loop.work, loop.what)
        if loop.last is not None:
            try:
                loop.last()
            except Exception:
                log.exception("%s: the last round failed", loop.what)

    def start(self) -> list[threading.Thread]:
        """Start every registered loop and thread; return the threads (to join at shutdown)."""
        self.threads += [
            threading.Thread(target=self._run, args=(loop,), name=loop.name, daemon=True) for loop in self.loops
        ]
        for thread in self.threads:
            thread.start()
        return self.threads

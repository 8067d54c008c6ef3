"""Pausing Python's cyclic garbage collector around bulk work (imports, syncs, index builds)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a bulk operation runs (nested and concurrent uses are fine:
    it restarts when the last one ends). Bulk paths hold hundreds of thousands of live containers, and every
    collection walked them all: measured, a 200,000-entry sync spent 25% of its CPU time in the collector.
    Reference counting still frees everything at once; only cycles wait for the end."""
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()

"""When to try a submission again: exponential back-off with jitter, bounded, over a retry window of hours."""

from __future__ import annotations

import random


def backoff_seconds(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """The delay after failed attempt number ``attempt`` (1, 2, ...): ``base * 2**(attempt-1)`` capped at ``cap``,
    then a random share between half and all of it ("equal jitter"), so that many reports failing together do not
    come back together."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    exponent = min(attempt - 1, 62)
    delay = min(cap, base * 2.0**exponent)
    return delay / 2 + (rng or random).uniform(0, delay / 2)

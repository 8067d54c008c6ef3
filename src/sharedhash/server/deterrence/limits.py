"""In-memory rate limits and counters of the deterrence service: token buckets, and counts flushed in batches.

Public checks are limited per org and per client. A client is keyed by an HMAC of its address under a random
secret that lives only in this process's memory (never written anywhere), so the key cannot be turned back into
the address, and the address itself is never kept.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import threading
import time
from collections import OrderedDict, defaultdict
from collections.abc import MutableMapping
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from sharedhash.server.memory.batching import BatchBuffer
from sharedhash.store import audit
from sharedhash.store import deterrence as store

#: Most client buckets kept; the least recently seen are dropped first (a dropped bucket starts full again).
MAX_CLIENT_BUCKETS = 100_000


class TokenBuckets:
    """Token buckets by key: ``per_minute`` tokens a minute, bursts up to ``per_minute``."""

    def __init__(self, max_keys: int = MAX_CLIENT_BUCKETS) -> None:
        self._lock = threading.Lock()
        self._buckets: OrderedDict[object, tuple[float, float]] = OrderedDict()
        self._max_keys = max_keys

    def take(self, key: object, per_minute: int, now: float | None = None) -> float:
        """Take one token; return 0 when allowed, else the seconds until a token is available."""
        now = time.monotonic() if now is None else now
        rate = per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.pop(key, (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate
            self._buckets[key] = (tokens, now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
            return wait


class PublicLimiter:
    """Per-org and per-client limits of public checks."""

    def __init__(self, client_per_minute: int) -> None:
        self._secret = secrets.token_bytes(32)  # per process, memory only
        self._orgs = TokenBuckets()
        self._clients = TokenBuckets()
        self._client_per_minute = client_per_minute

    def client_key(self, address: str) -> str:
        """The bucket key of a client address: an HMAC under the in-memory secret."""
        return hmac.new(self._secret, address.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:32]

    def check(self, org_id: int, org_per_minute: int, address: str | None) -> int:
        """0 when the check may run, else the whole seconds to wait (for Retry-After)."""
        wait = 0.0
        if address is not None:
            wait = self._clients.take((org_id, self.client_key(address)), self._client_per_minute)
        if wait == 0:
            wait = self._orgs.take(org_id, org_per_minute)
        return math.ceil(wait) if wait > 0 else 0


def today() -> datetime:
    """Now, in UTC (counters are per UTC day)."""
    return datetime.now(UTC)


class CounterBuffer(BatchBuffer[store.CounterKey, list[int]]):
    """Counts added up in memory and written with one upsert per (org, rule, day) on each flush, with one audit
    event per org with its number of checks (nothing else)."""

    def count(self, org_id: int, rule_id: str | None, *, check: bool = False, click: bool = False) -> None:
        """Count one check (and a response when ``rule_id`` is given), or one click on ``rule_id``'s link."""
        day = today().date()
        with self._lock:
            total = self._pending[(org_id, "", day)]
            if click:
                total[2] += 1
                if rule_id:
                    self._pending[(org_id, rule_id, day)][2] += 1
                return
            total[0] += 1 if check else 0
            if rule_id:
                total[1] += 1
                self._pending[(org_id, rule_id, day)][1] += 1

    def _empty(self) -> defaultdict[store.CounterKey, list[int]]:
        return defaultdict(lambda: [0, 0, 0])

    def _write(self, session: Session, pending: MutableMapping[store.CounterKey, list[int]]) -> int:
        deltas = {k: store.CounterDelta(*v) for k, v in pending.items()}
        checks: dict[int, int] = defaultdict(int)
        for (org_id, rule_id, _), delta in deltas.items():
            if rule_id == "":
                checks[org_id] += delta.checks
        store.add_counts(session, deltas)
        for org_id, n in sorted(checks.items()):
            if n:
                audit.record(session, store.org_caller(org_id), "deterrence.check", count=n)
        return len(deltas)

    def _restore(self, key: store.CounterKey, taken: list[int]) -> None:
        row = self._pending[key]
        for i, n in enumerate(taken):
            row[i] += n

"""The state a running hub shares between its endpoints, services and background loops: settings, the database,
the in-memory indexes, the lookup caches and the audit buffer. No FastAPI here: the CLI, sync and tests build one
to call services directly."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from sharedhash.server.memory.caches import LookupCaches
from sharedhash.server.memory.check_hashes import CheckHashes
from sharedhash.server.memory.decode_budget import DecodeBudget
from sharedhash.server.memory.indexes import IndexSet
from sharedhash.server.memory.key_use import KeyUseBuffer
from sharedhash.server.memory.metrics import HubMetrics
from sharedhash.server.memory.tallies import AuditBuffer
from sharedhash.server.memory.throttle import SignInThrottle
from sharedhash.settings import Settings
from sharedhash.store.db import Database


@dataclass
class HubState:
    """What every request shares: settings, the database, the in-memory indexes and the lookup caches."""

    settings: Settings
    db: Database
    indexes: IndexSet = field(default_factory=IndexSet)
    stop: threading.Event = field(default_factory=threading.Event)
    sign_ins: SignInThrottle = field(default_factory=SignInThrottle)
    audit: AuditBuffer = field(init=False)
    caches: LookupCaches = field(init=False)
    decode_budget: DecodeBudget = field(init=False)
    key_use: KeyUseBuffer = field(init=False)
    #: Recent checks' near-match hashes and the list hashes waiting for retroactive matching (the act domain).
    check_hashes: CheckHashes = field(default_factory=CheckHashes)
    metrics: HubMetrics = field(default_factory=HubMetrics)

    def __post_init__(self) -> None:
        self.audit = AuditBuffer(self.db)
        self.key_use = KeyUseBuffer(self.db)
        self.decode_budget = DecodeBudget(self.settings.decode_memory_bytes, self.settings.decode_wait_seconds)
        self.caches = LookupCaches(self.db, max_entries=self.settings.lookup_cache_entries)
        self.indexes.on_refresh.append(self.caches.entries.refreshed)
        self.indexes.on_written.append(self.caches.entries.written)
        self.indexes.on_follow.append(self.caches.poll)
        self.indexes.on_added.append(self.check_hashes.list_hashes_added)

"""In-memory caches of the lookup path: API keys, every hash list's read policy, and matched entries' facts.

Writes made through this server invalidate them when their transaction commits (session events on the database's
write sessions), before the write's response is sent: a revoked key, a changed share or visibility, a removed
entry or an org's own dispute takes effect for every later request. Writes by other processes on the same
database (``sharedhash sync`` into a running node) are picked up by the index follower's next round, which also
polls the small tables here (``SHAREDHASH_INDEX_FOLLOW_SECONDS``). A cache never answers with something older than
what was committed before it was last invalidated: a fill that overlaps an invalidation is not kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from sharedhash.server.memory.entry_cache import EntryCache, FeedbackWatch
from sharedhash.store.changes import CommittedChanges, watch_commits
from sharedhash.store.db import Database
from sharedhash.store.orgs import KeyRecord, key_record, revoked_key_count
from sharedhash.store.visibility import ListPolicy, list_policies

#: What a lookup needs of a readable list: its name and PDQ threshold.
VisibleLists = dict[int, tuple[str, int]]


class KeyCache:
    """Key records by public prefix. The secret is still checked on every request (against the stored hash)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: dict[str, tuple[KeyRecord, tuple[int, int, int]]] = {}
        self._generation = 0
        self._revoked_seen: tuple[int, int, int] | None = None

    def get_cached(self, prefix: str) -> KeyRecord | None:
        """The record of ``prefix`` if it is in memory."""
        cached = self._records.get(prefix)
        return None if cached is None else cached[0]

    def get(self, db: Database, prefix: str) -> KeyRecord | None:
        """The record of ``prefix``, from memory or else from the database (unknown prefixes are not cached)."""
        cached = self._records.get(prefix)
        if cached is not None:
            return cached[0]
        with self._lock:
            generation = self._generation
        with db.reading() as session:
            revoked = revoked_key_count(session)
            record = key_record(session, prefix)
        if record is not None:
            with self._lock:
                if generation == self._generation:
                    self._records[prefix] = (record, revoked)
        return record

    def touched(self, prefix: str, when: datetime) -> None:
        """The key's last-used time was just written."""
        with self._lock:
            cached = self._records.get(prefix)
            if cached is not None:
                self._records[prefix] = (replace(cached[0], last_used_at=when), cached[1])

    def clear(self) -> None:
        """Forget every record (a key was revoked or changed)."""
        with self._lock:
            self._generation += 1
            self._records.clear()

    def poll(self, session: Session) -> None:
        """Drop records read before a revocation, suspension or reinstatement made by another process (each only
        ever adds up)."""
        revoked = revoked_key_count(session)
        with self._lock:
            if revoked != self._revoked_seen:
                self._generation += 1
                self._records = {p: (r, seen) for p, (r, seen) in self._records.items() if seen == revoked}
                self._revoked_seen = revoked


@dataclass
class _PolicySnapshot:
    generation: int
    lists: dict[int, ListPolicy]
    by_org: dict[int, VisibleLists] = field(default_factory=dict)


class PolicyCache:
    """Every hash list's read policy; per org, the lists it may read with their names and thresholds."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._snapshot = _PolicySnapshot(generation=-1, lists={})

    def invalidate(self) -> None:
        """A list or a share changed: the next lookup reloads the policies."""
        with self._lock:
            self._generation += 1

    def visible(self, db: Database, org_id: int) -> VisibleLists:
        """``{list id: (name, pdq threshold)}`` of the lists ``org_id`` may read (the rule of ``readable_lists``)."""
        snapshot = self._current(db)
        found = snapshot.by_org.get(org_id)
        if found is None:
            found = {p.list_id: (p.name, p.pdq_threshold) for p in snapshot.lists.values() if p.readable_by(org_id)}
            snapshot.by_org[org_id] = found
        return found

    def video_rules(self, db: Database) -> dict[int, tuple[int, int]]:
        """``{list id: (listed %, query %)}``: every list's video match rule (read only where a lookup has videos)."""
        snapshot = self._current(db)
        return {p.list_id: (p.video_listed_percent, p.video_query_percent) for p in snapshot.lists.values()}

    def thresholds(self, db: Database) -> dict[int, int]:
        """``{list id: pdq threshold}`` of every list (retroactive matching searches each list's new hashes only as
        far as its threshold)."""
        snapshot = self._current(db)
        return {list_id: p.pdq_threshold for list_id, p in snapshot.lists.items()}

    def _current(self, db: Database) -> _PolicySnapshot:
        """The snapshot, reloaded first if a write invalidated it."""
        snapshot = self._snapshot
        return snapshot if snapshot.generation == self._generation else self._reload(db)

    def _reload(self, db: Database) -> _PolicySnapshot:
        with self._lock:
            generation = self._generation
        with db.reading() as session:
            lists = list_policies(session)
        # If an invalidation came in meanwhile, the snapshot keeps the older generation and the next call reloads.
        snapshot = _PolicySnapshot(generation=generation, lists=lists)
        with self._lock:
            if self._snapshot.generation <= generation:
                self._snapshot = snapshot
        return snapshot

    def poll(self, session: Session) -> None:
        """Reload if another process changed a list's policy (the tables are small: a list per org or so)."""
        with self._lock:
            generation = self._generation
        lists = list_policies(session)
        if lists != self._snapshot.lists:
            with self._lock:
                if self._snapshot.generation <= generation:
                    self._snapshot = _PolicySnapshot(generation=generation, lists=lists)


class LookupCaches:
    """The three caches of one database, invalidated by what each committed write changed (see
    :func:`sharedhash.store.changes.watch_commits`)."""

    def __init__(self, db: Database, *, max_entries: int) -> None:
        self.db = db
        self.keys = KeyCache()
        self.policy = PolicyCache()
        self.entries = EntryCache(max_entries)
        self._feedback = FeedbackWatch(self.entries)
        #: Called on the commit of every transaction that changed who may read which list (e.g. the deterrence
        #: rules forget what they compiled), before the write's request answers.
        self.on_policy_change: list[Callable[[], None]] = []
        # The baselines of the polls, before anything is cached: a change after this is seen by the first round.
        with db.reading() as session:
            self.poll(session)
        watch_commits(db, self._committed)

    def poll(self, session: Session) -> None:
        """One round of looking for changes other processes made (called by the index follower)."""
        self.keys.poll(session)
        self.policy.poll(session)
        self._feedback.poll(session)

    def _committed(self, changes: CommittedChanges) -> None:
        if changes.policy:
            self.policy.invalidate()
            for callback in self.on_policy_change:
                callback()
        if changes.keys:
            self.keys.clear()
        if changes.all_feedback:
            self.entries.clear()
        elif changes.feedback:
            self.entries.invalidate(changes.feedback)
        if changes.feedback_rows:
            self._feedback.committed_here(changes.feedback_rows)

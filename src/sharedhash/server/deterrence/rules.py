"""Per-org compiled matchers over the term rules of every list the org may read, kept current by watching feeds.

A check reads the org's current :class:`OrgRules` without a lock; a rebuild compiles a new matcher aside and
then swaps the reference, so checks never wait for a compile. The watcher compares one cheap signature (every
list's feed seq, visibility and shares) each round and re-reads an org's rules only when that changes.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sharedhash.deterrence import Matcher, Rule, TermList, parse_rule
from sharedhash.deterrence.errors import InvalidRuleError
from sharedhash.deterrence.lexicon import Lexicon
from sharedhash.store import deterrence as store
from sharedhash.store.db import Database

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OrgRules:
    """One org's compiled rules and the list versions (list id -> feed seq) they were built from."""

    matcher: Matcher
    seqs: dict[int, int]
    canonical: frozenset[str]

    def rule(self, rule_id: str) -> Rule | None:
        """The rule with this id, if the org still has it."""
        for rule in self.matcher.rules:
            if rule.rule_id == rule_id:
                return rule
        return None


class RuleCache:
    """Matchers per org, built on an org's first check and rebuilt when a list it may read changes."""

    def __init__(self, db: Database, *, lexicon: Lexicon, max_query_chars: int) -> None:
        self._db = db
        self._lexicon = lexicon
        self._max_query_chars = max_query_chars
        self._orgs: dict[int, OrgRules] = {}
        self._list_values: dict[int, tuple[int, tuple[str, ...]]] = {}
        self._signature: tuple[object, ...] | None = None
        # Orgs that read the same rules share one compiled matcher (most orgs read the same few term lists).
        self._shared: dict[frozenset[str], Matcher] = {}
        self._build_lock = threading.Lock()
        #: Bumped by :meth:`invalidate`; a build that started before a bump is not kept (its snapshot is older).
        self._generation = 0
        self._generation_lock = threading.Lock()
        self.rebuilds = 0

    def invalidate(self) -> None:
        """Forget every org's compiled rules at once: who may read which list changed (a list was made private,
        unshared, deleted...). Called on the commit of that change, before its request answers, so no check
        after it uses a list the org may no longer read (issue 18 F9); each org's next check rebuilds its rules
        from the committed state (reusing compiled matchers for rule sets that did not change)."""
        with self._generation_lock:
            self._generation += 1
            self._orgs = {}
            self._signature = None

    def _current_generation(self) -> int:
        with self._generation_lock:
            return self._generation

    def _keep(self, generation: int, org_id: int, rules: OrgRules) -> bool:
        """Store an org's rules built in ``generation``, unless an invalidation came since; whether kept."""
        with self._generation_lock:
            if generation != self._generation:
                return False
            self._orgs[org_id] = rules
            return True

    def rules_for(self, org_id: int) -> OrgRules:
        """The org's current rules; the first call for an org builds them."""
        found = self._orgs.get(org_id)
        if found is not None:
            return found
        with self._build_lock:
            found = self._orgs.get(org_id)
            if found is None:
                generation = self._current_generation()
                with self._db.reading() as session:
                    found = self._build(session, org_id, None)
                self._keep(generation, org_id, found)  # answered either way: the check began before the change
            return found

    def is_built(self, org_id: int) -> bool:
        """Whether the org's rules are compiled (its next check will not build them)."""
        return org_id in self._orgs

    def warm(self) -> int:
        """Build every org's rules ahead of its first check (at start, in the background); return how many."""
        with self._db.reading() as session:
            org_ids = store.org_ids(session)
        built = 0
        for _ in range(3):  # an invalidation meanwhile (a list's readers changed) drops builds: build those again
            for org_id in org_ids:
                if org_id not in self._orgs:
                    self.rules_for(org_id)
                    built += 1
            if all(org_id in self._orgs for org_id in org_ids):
                break
        return built

    def refresh(self) -> int:
        """Rebuild the orgs whose readable lists changed since the last call; return how many were rebuilt."""
        rebuilt = 0
        with self._build_lock:
            generation = self._current_generation()
            with self._db.reading() as session:
                signature = store.access_signature(session)
                if signature == self._signature:
                    return 0
                for org_id, current in list(self._orgs.items()):
                    seqs = store.readable_list_seqs(session, store.org_caller(org_id))
                    if seqs == current.seqs:
                        continue
                    fresh = self._build(session, org_id, current, seqs)
                    if not self._keep(generation, org_id, fresh):
                        return rebuilt  # invalidated meanwhile: the next round starts from the committed state
                    if fresh.matcher is not current.matcher:
                        rebuilt += 1
            with self._generation_lock:
                if generation == self._generation:
                    self._signature = signature
        return rebuilt

    def _build(
        self, session: Session, org_id: int, current: OrgRules | None, seqs: dict[int, int] | None = None
    ) -> OrgRules:
        if seqs is None:
            seqs = store.readable_list_seqs(session, store.org_caller(org_id))
        stale = [lid for lid, seq in seqs.items() if self._list_values.get(lid, (-1, ()))[0] != seq]
        for list_id, values in store.term_values(session, stale).items():
            self._list_values[list_id] = (seqs[list_id], tuple(sorted(values)))
        canonical = frozenset(v for lid in seqs for v in self._list_values[lid][1])
        if current is not None and current.canonical == canonical:
            return OrgRules(current.matcher, seqs, canonical)
        shared = self._shared.get(canonical)
        if shared is not None:
            return OrgRules(shared, seqs, canonical)
        rules: list[Rule] = []
        skipped = 0
        for value in sorted(canonical):
            try:
                rules.append(parse_rule(value))
            except InvalidRuleError:
                # A stored rule this version cannot read (e.g. mirrored from a newer hub) is left out, not fatal.
                skipped += 1
        if skipped:
            log.warning("org %d: %d stored term rules could not be parsed and are not used", org_id, skipped)
        matcher = Matcher(TermList.from_rules(rules), lexicon=self._lexicon, max_query_chars=self._max_query_chars)
        self.rebuilds += 1
        in_use = {o.canonical for o in self._orgs.values()}
        self._shared = {k: m for k, m in self._shared.items() if k in in_use}
        self._shared[canonical] = matcher
        return OrgRules(matcher, seqs, canonical)

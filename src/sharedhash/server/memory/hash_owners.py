"""Which list and entry each indexed hash belongs to, and whether it is dead: flat arrays indexed by hash id.

Hash ids are the row ids of ``entry_hashes`` (dense, from 1), so arrays indexed by id cost 13 bytes per id and
no Python object per hash. The dict of tuples this replaces cost about 200 bytes per hash, made every full
garbage collection walk millions of objects (seen as lookup stalls), and resolved hits one at a time.
"""

from __future__ import annotations

import numpy as np

ABSENT, ACTIVE, DEAD = 0, 1, 2


class HashOwners:
    """State (absent, active, dead: never backwards), list id and entry id of every hash id. Not thread-safe: the
    index set guards it with its lock."""

    def __init__(self) -> None:
        self.state = np.zeros(1024, dtype=np.uint8)
        self.list_of = np.zeros(1024, dtype=np.int32)
        self.entry_of = np.zeros(1024, dtype=np.int64)

    def _fit(self, top: int) -> None:
        if top < len(self.state):
            return
        capacity = max(top + 1, 2 * len(self.state))
        for name in ("state", "list_of", "entry_of"):
            old = getattr(self, name)
            new = np.zeros(capacity, dtype=old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def states(self, hash_ids: np.ndarray) -> np.ndarray:
        """The state of each id (ids never seen are absent)."""
        out = np.zeros(len(hash_ids), dtype=np.uint8)
        known = hash_ids < len(self.state)
        out[known] = self.state[hash_ids[known]]
        return out

    def activate(self, hash_ids: np.ndarray, list_ids: np.ndarray, entry_ids: np.ndarray) -> None:
        """Mark absent ids active with their owners (callers pass only absent ids)."""
        if len(hash_ids):
            self._fit(int(hash_ids.max()))
            self.state[hash_ids] = ACTIVE
            self.list_of[hash_ids] = list_ids
            self.entry_of[hash_ids] = entry_ids

    def kill(self, hash_ids: np.ndarray) -> None:
        """Mark ids dead for good."""
        if len(hash_ids):
            self._fit(int(hash_ids.max()))
            self.state[hash_ids] = DEAD

    def forget(self, hash_ids: np.ndarray) -> None:
        """Mark ids absent again (hashes of a type that cannot be indexed)."""
        known = hash_ids[hash_ids < len(self.state)]
        self.state[known] = ABSENT

    def resolve(self, hash_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(alive, list ids, entry ids)`` of these ids; ``alive`` is a mask of the active ones."""
        alive = self.states(hash_ids) == ACTIVE
        safe = np.where(alive, hash_ids, 0)
        return alive, self.list_of[safe], self.entry_of[safe]

    def active_count(self) -> int:
        """How many ids are active."""
        return int(np.count_nonzero(self.state == ACTIVE))

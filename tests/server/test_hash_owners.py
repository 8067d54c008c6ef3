"""The index set's owner arrays: states only move forward, owners resolve by hash id, the arrays grow."""

from __future__ import annotations

import numpy as np

from sharedhash.server.memory.hash_owners import ABSENT, ACTIVE, DEAD, HashOwners


def _ids(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def test_owners_resolve_and_grow() -> None:
    owners = HashOwners()
    owners.activate(_ids(3, 5000), np.array([7, 8], dtype=np.int32), _ids(30, 40))
    alive, lists, entries = owners.resolve(_ids(5000, 3, 4, 10**6))
    assert alive.tolist() == [True, True, False, False]
    assert lists[alive].tolist() == [8, 7]
    assert entries[alive].tolist() == [40, 30]
    assert owners.states(_ids(3, 4, 10**6)).tolist() == [ACTIVE, ABSENT, ABSENT]
    assert owners.active_count() == 2


def test_dead_is_final_and_forget_makes_absent() -> None:
    owners = HashOwners()
    owners.activate(_ids(1, 2), np.array([1, 1], dtype=np.int32), _ids(10, 20))
    owners.kill(_ids(2, 9))
    assert owners.states(_ids(1, 2, 9)).tolist() == [ACTIVE, DEAD, DEAD]
    assert owners.resolve(_ids(2))[0].tolist() == [False]
    owners.forget(_ids(1, 10**7))
    assert owners.states(_ids(1)).tolist() == [ABSENT]

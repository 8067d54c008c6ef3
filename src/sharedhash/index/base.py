"""The interface every index implements: add and remove ids under hash values, query by distance."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Self


@dataclass(frozen=True, slots=True, order=True)
class IndexMatch:
    """One hit: the id stored under a matching value, and that value's distance to the query."""

    distance: int
    id: int


class HashIndex(ABC):
    """Maps hash values of one hash type to integer ids (int64), answering range queries by distance.

    Ids are the caller's (e.g. database row ids of entry hashes). One value may carry many ids; one id names
    one value. Adds and removals are visible to the next query; there is no rebuild step.
    """

    hash_type: ClassVar[str]

    @abstractmethod
    def add(self, values: Sequence[str], ids: Sequence[int]) -> None:
        """Store ``ids[i]`` under ``values[i]``; an id already present is moved to its new value."""

    @abstractmethod
    def remove(self, ids: Sequence[int]) -> int:
        """Forget these ids; return how many were present."""

    @abstractmethod
    def query(self, value: str, max_distance: int = 0) -> list[IndexMatch]:
        """Every stored id whose value is within ``max_distance`` of ``value``, nearest first."""

    def query_batch(self, values: Sequence[str], max_distance: int = 0) -> list[list[IndexMatch]]:
        """:meth:`query` for each value; subclasses override with a faster path."""
        return [self.query(v, max_distance) for v in values]

    def query_any(self, values: Sequence[str], max_distance: int = 0) -> list[IndexMatch]:
        """Ids matching any of ``values`` (e.g. the dihedral variants of one image), each once at its nearest."""
        best: dict[int, int] = {}
        for matches in self.query_batch(values, max_distance):
            for m in matches:
                if m.distance < best.get(m.id, m.distance + 1):
                    best[m.id] = m.distance
        return sorted(IndexMatch(distance=d, id=i) for i, d in best.items())

    def knn(self, value: str, k: int) -> list[IndexMatch]:
        """The ``k`` stored ids nearest to ``value``, nearest first (ties broken by id)."""
        return self.query(value, 1 << 16)[:k]

    def values_of(self, ids: Sequence[int]) -> list[str | None]:
        """The canonical value stored under each id, or None where the id is absent."""
        raise NotImplementedError

    @abstractmethod
    def __len__(self) -> int:
        """Number of ids stored."""

    @abstractmethod
    def save(self, path: Path) -> None:
        """Write the index to ``path`` in the versioned, checksummed on-disk format."""

    @classmethod
    @abstractmethod
    def load(cls, path: Path) -> Self:
        """Read an index written by :meth:`save`; a corrupt file raises ``CorruptDataError``."""

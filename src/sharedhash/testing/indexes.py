"""The contract every index passes: the answers of the brute-force linear index, through adds, removals and saves."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import ClassVar

import pytest

from sharedhash.errors import CorruptDataError, InvalidHashError
from sharedhash.hashing import HashType, IndexKind
from sharedhash.index.base import HashIndex, IndexMatch
from sharedhash.index.kinds import index_class
from sharedhash.index.linear import LinearIndex

IndexFactory = Callable[[], HashIndex]


class IndexContract:
    """Subclass in a test module and provide a ``hash_type`` fixture (a registered hash type); pytest runs every
    ``test_`` method against the index the type's ``index_kind`` selects, with the linear index as the oracle::

        from sharedhash.testing import IndexContract

        class TestMyHashIndex(IndexContract):
            @pytest.fixture
            def hash_type(self) -> HashType:
                return get_hash_type("myhash")

    Override the ``new_index`` fixture to test an index class directly, and :meth:`values` to generate values of
    a type whose values are neither hex nor covered by its ``examples``.
    """

    #: How many stored values the oracle comparisons use.
    stored: ClassVar[int] = 300
    seed: ClassVar[int] = 11

    @pytest.fixture
    def hash_type(self) -> HashType:
        raise NotImplementedError("an IndexContract subclass provides the hash_type fixture")

    @pytest.fixture
    def new_index(self, hash_type: HashType) -> IndexFactory:
        """Makes an empty index of ``hash_type``: by default the one its ``index_kind`` selects."""
        from sharedhash.index import make_index

        return lambda: make_index(hash_type.name)

    def values(self, hash_type: HashType, n: int, rng: random.Random) -> list[str]:
        """``n`` canonical values with repeats and (for distance types) near neighbours of a few centres."""
        if hash_type.hex_chars is None:
            return [rng.choice(hash_type.examples) for _ in range(n)]
        bits = hash_type.hex_chars * 4
        centres = [rng.getrandbits(bits) for _ in range(5)] + [int(v, 16) for v in hash_type.examples]
        out: list[str] = []
        for _ in range(n):
            value = rng.choice(centres)
            if hash_type.max_distance and rng.random() < 0.8:
                for bit in rng.sample(range(bits), rng.randint(0, min(bits, 2 * hash_type.default_threshold + 8))):
                    value ^= 1 << bit
            elif rng.random() < 0.3:
                value = rng.getrandbits(bits)
            out.append(f"{value:0{hash_type.hex_chars}x}")
        return out

    def distances(self, hash_type: HashType) -> list[int]:
        """The distances compared with the oracle."""
        wanted = {0, 1, hash_type.default_threshold, hash_type.max_distance // 8, hash_type.max_distance}
        return sorted(d for d in wanted if 0 <= d <= hash_type.max_distance)

    def _filled(self, hash_type: HashType, new_index: IndexFactory) -> tuple[HashIndex, LinearIndex, list[str]]:
        rng = random.Random(self.seed)
        values = self.values(hash_type, self.stored, rng)
        ids = rng.sample(range(10 * self.stored), len(values))
        index, oracle = new_index(), LinearIndex(hash_type.name)
        half = len(values) // 2
        index.add(values[:half], ids[:half])
        index.add(values[half:], ids[half:])
        oracle.add(values, ids)
        queries = [*self.values(hash_type, 12, rng), *values[:4], *hash_type.examples]
        return index, oracle, queries

    def _agree(self, index: HashIndex, oracle: LinearIndex, queries: list[str], hash_type: HashType) -> None:
        assert len(index) == len(oracle)
        for d in self.distances(hash_type):
            assert index.query_batch(queries, d) == oracle.query_batch(queries, d), f"distance {d}"
            for q in queries[:3]:
                assert index.query(q, d) == oracle.query(q, d), f"distance {d}"

    def test_the_index_kind_selects_this_index(self, hash_type: HashType, new_index: IndexFactory) -> None:
        cls = index_class(hash_type.name)
        index = new_index()
        if cls is None:
            assert hash_type.index_kind is IndexKind.LINEAR or isinstance(index, LinearIndex)
        else:
            assert cls.hash_type == hash_type.name
            assert isinstance(index, HashIndex)
        assert len(index) == 0
        assert index.query(hash_type.examples[0], hash_type.max_distance) == []

    def test_answers_equal_the_linear_oracle(self, hash_type: HashType, new_index: IndexFactory) -> None:
        index, oracle, queries = self._filled(hash_type, new_index)
        self._agree(index, oracle, queries, hash_type)

    def test_removals_and_moves_equal_the_oracle(self, hash_type: HashType, new_index: IndexFactory) -> None:
        index, oracle, queries = self._filled(hash_type, new_index)
        stored = [m.id for ms in oracle.query_batch(queries, hash_type.max_distance) for m in ms]
        gone = sorted(set(stored))[::3] + [10**9]  # one id never stored
        assert index.remove(gone) == oracle.remove(gone)
        assert index.remove(gone) == 0  # removing twice is a no-op
        # An id added again under another value moves there.
        moved = sorted(set(stored))[1::3][:5]
        target = [hash_type.examples[0]] * len(moved)
        index.add(target, moved)
        oracle.add(target, moved)
        self._agree(index, oracle, queries, hash_type)

    def test_query_any_and_values_of(self, hash_type: HashType, new_index: IndexFactory) -> None:
        index, oracle, queries = self._filled(hash_type, new_index)
        d = hash_type.default_threshold
        assert index.query_any(queries[:5], d) == oracle.query_any(queries[:5], d)
        ids = sorted({m.id for m in oracle.query_batch(queries, d)[0]})[:10] + [10**9]
        try:
            got = index.values_of(ids)
        except NotImplementedError:
            return
        assert got == oracle.values_of(ids)

    def test_matches_are_sorted_nearest_first(self, hash_type: HashType, new_index: IndexFactory) -> None:
        index, _, queries = self._filled(hash_type, new_index)
        for matches in index.query_batch(queries, hash_type.max_distance):
            assert matches == sorted(matches)
            assert all(isinstance(m, IndexMatch) and 0 <= m.distance <= hash_type.max_distance for m in matches)

    def test_invalid_values_are_refused(self, hash_type: HashType, new_index: IndexFactory) -> None:
        index = new_index()
        with pytest.raises(InvalidHashError):
            index.add(["g" * 64], [1])
        with pytest.raises(InvalidHashError):
            index.query("g" * 64)
        assert len(index) == 0

    def test_save_and_load_round_trip(self, hash_type: HashType, new_index: IndexFactory, tmp_path: Path) -> None:
        index, oracle, queries = self._filled(hash_type, new_index)
        path = tmp_path / f"{hash_type.name}.idx"
        index.save(path)
        loaded = type(index).load(path)
        self._agree(loaded, oracle, queries, hash_type)
        # A damaged file is refused, never half-loaded.
        raw = path.read_bytes()
        path.write_bytes(raw[: len(raw) // 2])
        with pytest.raises(CorruptDataError):
            type(index).load(path)

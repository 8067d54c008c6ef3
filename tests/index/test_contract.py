"""Every registered hash type's index (chosen by its ``index_kind``) passes the index contract plug-ins run."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import BinaryIO

import pytest

from sharedhash.hashing import ContentKind, HashType, IndexKind, get_hash_type, hash_type_names
from sharedhash.hashing.registry import _registry
from sharedhash.index import FAST_INDEXES, Md5Index, PdqIndex, Sha1Index, Sha256Index, index_class, make_index
from sharedhash.index.exact import ExactIndex
from sharedhash.index.kinds import _index_class, register_index_kind
from sharedhash.index.linear import LinearIndex
from sharedhash.index.video import VideoIndex
from sharedhash.testing import HashTypeContract, IndexContract


class TestEveryIndex(IndexContract):
    # Videos are matched by the share of their frames (index/video.py), not by one distance per value: their index
    # has its own brute-force oracle test (tests/index/test_video_index.py).
    @pytest.fixture(params=[n for n in hash_type_names() if get_hash_type(n).index_kind is not IndexKind.VPDQ])
    def hash_type(self, request: pytest.FixtureRequest) -> HashType:
        return get_hash_type(request.param)


def test_index_kinds_pick_the_built_in_indexes() -> None:
    assert index_class("pdq") is PdqIndex
    assert (index_class("md5"), index_class("sha1"), index_class("sha256")) == (Md5Index, Sha1Index, Sha256Index)
    assert index_class("term") is None
    assert isinstance(make_index("term"), LinearIndex)
    regions = index_class("pdqr")  # region hashes: 256-bit values, served by the PDQ index's structure
    assert regions is not None
    assert issubclass(regions, PdqIndex)
    assert regions.hash_type == "pdqr"
    assert dict(FAST_INDEXES) == {
        "md5": Md5Index,
        "pdq": PdqIndex,
        "pdqr": regions,
        "sha1": Sha1Index,
        "sha256": Sha256Index,
    }
    for name in hash_type_names():
        cls = index_class(name)
        assert (cls is None) == (get_hash_type(name).index_kind in (IndexKind.LINEAR, IndexKind.VPDQ))
    assert isinstance(make_index("vpdq"), VideoIndex)


def test_a_kind_is_registered_once() -> None:
    with pytest.raises(ValueError, match="already registered"):
        register_index_kind(IndexKind.EXACT, lambda hash_type: ExactIndex)


class Toy256HashType(HashType):
    """A stand-in for a third-party 256-bit Hamming hash type (say, a licensed plug-in): one file, no branches."""

    name = "toy256"
    content = frozenset({ContentKind.FILE})
    max_distance = 256
    default_threshold = 20
    examples = ("ab" * 32, "0f" * 32)
    hex_chars = 64
    index_kind = IndexKind.HAMMING256

    def _distance(self, a: str, b: str) -> int:
        return (int(a, 16) ^ int(b, 16)).bit_count()

    def hash_stream(self, stream: BinaryIO) -> str:
        return hashlib.sha256(stream.read()).hexdigest()


class Toy16HashType(Toy256HashType):
    """A stand-in for a plug-in exact digest of 16 hex characters."""

    name = "toy16"
    max_distance = 0
    default_threshold = 0
    examples = ("0123456789abcdef", "fedcba9876543210")
    hex_chars = 16
    index_kind = IndexKind.EXACT

    def hash_stream(self, stream: BinaryIO) -> str:
        return hashlib.sha256(stream.read()).hexdigest()[:16]


@pytest.fixture
def plugin_types() -> Iterator[None]:
    """Register the toy types as an installed plug-in's entry point would, for one test."""
    registry = _registry()
    registry.update({"toy256": Toy256HashType(), "toy16": Toy16HashType()})
    _index_class.cache_clear()
    try:
        yield
    finally:
        del registry["toy256"], registry["toy16"]
        _index_class.cache_clear()


@pytest.mark.usefixtures("plugin_types")
class TestPluginHashType(HashTypeContract):
    @pytest.fixture(params=["toy256", "toy16"])
    def hash_type(self, request: pytest.FixtureRequest) -> HashType:
        return get_hash_type(request.param)


@pytest.mark.usefixtures("plugin_types")
class TestPluginIndex(IndexContract):
    stored = 120

    @pytest.fixture(params=["toy256", "toy16"])
    def hash_type(self, request: pytest.FixtureRequest) -> HashType:
        return get_hash_type(request.param)

    def test_served_by_the_structure_its_kind_names(self, hash_type: HashType) -> None:
        cls = index_class(hash_type.name)
        assert cls is not None
        assert issubclass(cls, PdqIndex if hash_type.index_kind is IndexKind.HAMMING256 else ExactIndex)
        assert cls not in (PdqIndex, Md5Index, Sha1Index, Sha256Index)
        assert (cls.hash_type, cls.width) == (hash_type.name, 32 if hash_type.name == "toy256" else 8)

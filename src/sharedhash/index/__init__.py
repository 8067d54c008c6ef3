"""Indexes: in-memory lookup structures per hash type (exact and PDQ Hamming range search). Pure library."""

from pathlib import Path

from sharedhash.index.base import HashIndex, IndexMatch
from sharedhash.index.exact import ExactIndex, Md5Index, Sha1Index, Sha256Index
from sharedhash.index.linear import LinearIndex
from sharedhash.index.pdq import PdqIndex
from sharedhash.index.segments import Matches, SegmentedIndex
from sharedhash.index.storage import read_kind

FAST_INDEXES: dict[str, type[SegmentedIndex]] = {
    "pdq": PdqIndex,
    "md5": Md5Index,
    "sha1": Sha1Index,
    "sha256": Sha256Index,
}


def make_index(hash_type: str) -> HashIndex:
    """The best index for ``hash_type``: a fast one for pdq, md5, sha1 and sha256, else the linear one."""
    fast = FAST_INDEXES.get(hash_type)
    if fast is not None:
        return fast()
    from sharedhash.hashing import IndexKind, get_hash_type

    if get_hash_type(hash_type).index_kind is IndexKind.VPDQ:
        from sharedhash.index.video import VideoIndex

        return VideoIndex()
    return LinearIndex(hash_type)


def load_index(path: Path) -> SegmentedIndex:
    """Load any index file written by :meth:`SegmentedIndex.save`, whatever its hash type."""
    from sharedhash.errors import CorruptDataError

    _, meta = read_kind(Path(path))
    fast = FAST_INDEXES.get(str(meta.get("hash_type")))
    if fast is None:
        raise CorruptDataError(f"{path} holds an index of unknown hash type {meta.get('hash_type')!r}")
    return fast.load(Path(path))


__all__ = [
    "ExactIndex",
    "HashIndex",
    "IndexMatch",
    "LinearIndex",
    "Matches",
    "Md5Index",
    "PdqIndex",
    "SegmentedIndex",
    "Sha1Index",
    "Sha256Index",
    "load_index",
    "make_index",
]

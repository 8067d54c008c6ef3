"""Indexes: in-memory lookup structures per hash type (exact and PDQ Hamming range search). Pure library."""

from collections.abc import Mapping
from pathlib import Path

from sharedhash.index.base import HashIndex, IndexMatch
from sharedhash.index.exact import ExactIndex, Md5Index, Sha1Index, Sha256Index
from sharedhash.index.kinds import FastIndexes, index_class, register_index_kind
from sharedhash.index.linear import LinearIndex
from sharedhash.index.pdq import PdqIndex
from sharedhash.index.segments import Matches, SegmentedIndex
from sharedhash.index.storage import read_kind

#: Every registered hash type with a fast index, and its index class (chosen by the type's ``index_kind``).
FAST_INDEXES: Mapping[str, type[SegmentedIndex]] = FastIndexes()


def make_index(hash_type: str) -> HashIndex:
    """The index serving ``hash_type``: the one its ``index_kind`` names, else the linear one."""
    from sharedhash.hashing import IndexKind, get_hash_type

    if get_hash_type(hash_type).index_kind is IndexKind.VPDQ:  # videos: frames in a PDQ index, not a segment index
        from sharedhash.index.video import VideoIndex

        return VideoIndex()
    fast = index_class(hash_type)
    return fast() if fast is not None else LinearIndex(hash_type)


def load_index(path: Path) -> SegmentedIndex:
    """Load any index file written by :meth:`SegmentedIndex.save`, whatever its hash type."""
    from sharedhash.errors import CorruptDataError, UnknownHashTypeError

    _, meta = read_kind(Path(path))
    try:
        fast = index_class(str(meta.get("hash_type")))
    except UnknownHashTypeError:
        fast = None
    if fast is None:
        raise CorruptDataError(f"{path} holds an index of unknown hash type {meta.get('hash_type')!r}")
    return fast.load(Path(path))


__all__ = [
    "FAST_INDEXES",
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
    "index_class",
    "load_index",
    "make_index",
    "register_index_kind",
]

"""Indexes: in-memory lookup structures per hash type (exact and PDQ Hamming range search). Pure library."""

from sharedhash.index.base import HashIndex, IndexMatch
from sharedhash.index.linear import LinearIndex


def make_index(hash_type: str) -> HashIndex:
    """The best index for ``hash_type``."""
    return LinearIndex(hash_type)


__all__ = ["HashIndex", "IndexMatch", "LinearIndex", "make_index"]

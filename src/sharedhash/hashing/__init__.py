"""Hashing: decode media safely and compute hashes. Pure library: no database, no web."""

from sharedhash.hashing.media import DEFAULT_TYPES, MediaHashes, hash_media
from sharedhash.hashing.registry import get_hash_type, hash_type_names
from sharedhash.hashing.types.base import Comparison, ContentKind, HashType, IndexKind

__all__ = [
    "DEFAULT_TYPES",
    "Comparison",
    "ContentKind",
    "HashType",
    "IndexKind",
    "MediaHashes",
    "get_hash_type",
    "hash_media",
    "hash_type_names",
]

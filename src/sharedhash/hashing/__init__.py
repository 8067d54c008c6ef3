"""Hashing: decode media safely and compute hashes. Pure library: no database, no web."""

from sharedhash.hashing.registry import get_hash_type, hash_type_names
from sharedhash.hashing.types.base import Comparison, ContentKind, HashType

__all__ = ["Comparison", "ContentKind", "HashType", "get_hash_type", "hash_type_names"]

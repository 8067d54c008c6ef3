"""The hash-type registry: built-in and third-party types load through one entry-point group."""

from __future__ import annotations

from functools import lru_cache
from importlib.metadata import entry_points

from sharedhash.errors import UnknownHashTypeError
from sharedhash.hashing.types.base import HashType

ENTRY_POINT_GROUP = "sharedhash.hash_types"


@lru_cache(maxsize=1)
def _registry() -> dict[str, HashType]:
    types: dict[str, HashType] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        cls = ep.load()
        if not (isinstance(cls, type) and issubclass(cls, HashType)):
            raise TypeError(f"entry point {ep.name!r} does not name a HashType subclass")
        if cls.name != ep.name:
            raise TypeError(f"entry point {ep.name!r} loads a hash type named {cls.name!r}")
        types[cls.name] = cls()
    return types


def hash_type_names() -> list[str]:
    """Names of every registered hash type, sorted."""
    return sorted(_registry())


def get_hash_type(name: str) -> HashType:
    """The registered hash type called ``name``, or :class:`UnknownHashTypeError`."""
    try:
        return _registry()[name]
    except KeyError:
        known = ", ".join(hash_type_names())
        raise UnknownHashTypeError(f"unknown hash type {name!r}; registered: {known}") from None

"""Which index serves a hash type: the type's trait ``index_kind`` looked up in a small registry of index kinds.

A kind maps a hash type to the class of its fast index (or to None: the type is served by the brute-force
:class:`~sharedhash.index.linear.LinearIndex`). A new hash type picks an existing kind by declaring
``index_kind``; a new index structure registers its kind here with :func:`register_index_kind`. Nothing in this
package branches on a hash type's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING

from sharedhash.hashing import HashType, IndexKind, get_hash_type, hash_type_names

if TYPE_CHECKING:
    from sharedhash.index.segments import SegmentedIndex

#: Given a hash type, the class of its fast index (None: the linear index serves it).
IndexClassFor = Callable[[HashType], "type[SegmentedIndex] | None"]

_KINDS: dict[IndexKind, IndexClassFor] = {}


def register_index_kind(kind: IndexKind, index_class_for: IndexClassFor, *, replace: bool = False) -> None:
    """Serve the hash types declaring ``index_kind = kind`` with the class ``index_class_for(hash_type)`` returns."""
    if kind in _KINDS and not replace:
        raise ValueError(f"index kind {kind.value!r} is already registered")
    _KINDS[kind] = index_class_for
    _index_class.cache_clear()


def index_class(hash_type: str) -> type[SegmentedIndex] | None:
    """The fast index class serving ``hash_type``, or None where the linear index serves it.

    Raises :class:`~sharedhash.errors.UnknownHashTypeError` for a hash type nobody registered.
    """
    return _index_class(get_hash_type(hash_type).name)


@cache
def _index_class(name: str) -> type[SegmentedIndex] | None:
    hash_type = get_hash_type(name)
    try:
        chooser = _KINDS[hash_type.index_kind]
    except KeyError:
        raise LookupError(f"no index is registered for index kind {hash_type.index_kind!r} of {name!r}") from None
    return chooser(hash_type)


class FastIndexes(Mapping[str, "type[SegmentedIndex]"]):
    """Every registered hash type that has a fast index, and its index class (read when asked, not at import)."""

    def _classes(self) -> dict[str, type[SegmentedIndex]]:
        found = {name: index_class(name) for name in hash_type_names()}
        return {name: cls for name, cls in found.items() if cls is not None}

    def __getitem__(self, name: str) -> type[SegmentedIndex]:
        return self._classes()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._classes())

    def __len__(self) -> int:
        return len(self._classes())


@cache
def _derived(base: type[SegmentedIndex], name: str, width: int) -> type[SegmentedIndex]:
    """A subclass of ``base`` for another hash type of the same structure (e.g. a plug-in's 256-bit hash)."""
    attrs = {"hash_type": name, "width": width, "__doc__": f"{base.__name__} for {name!r} values."}
    return type(f"{base.__name__}For_{name}", (base,), attrs)


def _hex_width(hash_type: HashType) -> int:
    if hash_type.hex_chars is None or hash_type.hex_chars % 2:
        raise TypeError(f"{hash_type.name!r} declares index kind {hash_type.index_kind.value!r} without even hex_chars")
    return hash_type.hex_chars // 2


def _exact(hash_type: HashType) -> type[SegmentedIndex]:
    from sharedhash.index.exact import ExactIndex, Md5Index, Sha1Index, Sha256Index

    width = _hex_width(hash_type)
    for cls in (Md5Index, Sha1Index, Sha256Index):
        if cls.hash_type == hash_type.name and cls.width == width:
            return cls
    return _derived(ExactIndex, hash_type.name, width)


def _hamming256(hash_type: HashType) -> type[SegmentedIndex]:
    from sharedhash.index.pdq import PdqIndex

    if _hex_width(hash_type) != PdqIndex.width or hash_type.max_distance != 256:
        raise TypeError(f"{hash_type.name!r} declares index kind 'hamming256' but is not a 256-bit Hamming hash")
    return PdqIndex if hash_type.name == PdqIndex.hash_type else _derived(PdqIndex, hash_type.name, PdqIndex.width)


def _linear(hash_type: HashType) -> None:
    return None


register_index_kind(IndexKind.EXACT, _exact)
register_index_kind(IndexKind.HAMMING256, _hamming256)
register_index_kind(IndexKind.LINEAR, _linear)
# Videos have no segment index of their own: make_index serves them with index.video.VideoIndex (frames in a PDQ index).
register_index_kind(IndexKind.VPDQ, _linear)

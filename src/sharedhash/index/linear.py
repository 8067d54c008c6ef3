"""The brute-force linear index: every query compares with every stored value. The oracle for fast indexes."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar, Self

from sharedhash.errors import CorruptDataError, InvalidInputError
from sharedhash.hashing import HashType, get_hash_type
from sharedhash.index.base import HashIndex, IndexMatch

FORMAT = "sharedhash-linear-index"
VERSION = 1


class LinearIndex(HashIndex):
    """Exact answers for any hash type, by comparing the query with every stored value."""

    hash_type: ClassVar[str] = "*"

    def __init__(self, hash_type: str) -> None:
        self._type: HashType = get_hash_type(hash_type)
        self.type_name = hash_type
        self._value_of: dict[int, str] = {}

    def add(self, values: Sequence[str], ids: Sequence[int]) -> None:
        if len(values) != len(ids):
            raise InvalidInputError(f"{len(values)} values but {len(ids)} ids")
        canonical = [self._type.validate(v) for v in values]
        for value, id_ in zip(canonical, ids, strict=True):
            self._value_of[int(id_)] = value

    def remove(self, ids: Sequence[int]) -> int:
        return sum(self._value_of.pop(int(i), None) is not None for i in ids)

    def query(self, value: str, max_distance: int = 0) -> list[IndexMatch]:
        query = self._type.validate(value)
        hits = []
        for id_, stored in self._value_of.items():
            comparison = self._type.compare(query, stored, threshold=min(max_distance, self._type.max_distance))
            if comparison.match:
                hits.append(IndexMatch(distance=comparison.distance, id=id_))
        return sorted(hits)

    def values_of(self, ids: Sequence[int]) -> list[str | None]:
        return [self._value_of.get(int(i)) for i in ids]

    def __len__(self) -> int:
        return len(self._value_of)

    def save(self, path: Path) -> None:
        body = json.dumps(sorted(self._value_of.items()))
        header = {
            "format": FORMAT,
            "version": VERSION,
            "hash_type": self.type_name,
            "sha256": hashlib.sha256(body.encode()).hexdigest(),
        }
        path.write_text(json.dumps(header) + "\n" + body)

    @classmethod
    def load(cls, path: Path) -> Self:
        try:
            header_line, body = path.read_text().split("\n", 1)
            header = json.loads(header_line)
        except (OSError, ValueError) as exc:
            raise CorruptDataError(f"{path} is not a sharedhash linear index") from exc
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            raise CorruptDataError(f"{path} is not a version {VERSION} sharedhash linear index")
        if hashlib.sha256(body.encode()).hexdigest() != header.get("sha256"):
            raise CorruptDataError(f"{path} fails its checksum: the file is damaged or truncated")
        index = cls(header["hash_type"])
        pairs = json.loads(body)
        index.add([v for _, v in pairs], [i for i, _ in pairs])
        return index

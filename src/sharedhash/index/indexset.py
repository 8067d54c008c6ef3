"""An index set: one index per hash type over the records of a hash file, with the records' own ids.

Saved as a folder: ``manifest.json`` (format, version, files, checksums), ``labels.json`` (the id of each
record, or its line number where the file gave none) and one index file per hash type.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sharedhash.errors import CorruptDataError, FileAccessError, UnknownHashTypeError
from sharedhash.index import FAST_INDEXES, index_class, load_index
from sharedhash.index.base import HashIndex
from sharedhash.index.hashfile import HashRecord
from sharedhash.index.segments import SegmentedIndex
from sharedhash.index.video import VideoIndex

FORMAT = "sharedhash-index-set"
VERSION = 1
Label = str | int


@dataclass(frozen=True, slots=True)
class SetMatch:
    """A match of a query hash against one record of the set."""

    hash_type: str
    id: Label
    value: str
    distance: int

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``{"hash_type", "id", "value", "distance"}``."""
        return {"hash_type": self.hash_type, "id": self.id, "value": self.value, "distance": self.distance}


class IndexSet:
    """Indexes for every hash type found in a hash file, answering with the file's ids."""

    def __init__(
        self, indexes: dict[str, SegmentedIndex], labels: list[Label], videos: VideoIndex | None = None
    ) -> None:
        self.indexes = indexes
        self.labels = labels
        #: Listed videos (vpdq records), matched by the reference rule; their frames also match images.
        self.videos = videos

    @classmethod
    def from_records(cls, records: Sequence[HashRecord]) -> IndexSet:
        """Index ``records``; types without a fast index are refused (they need their own matcher)."""
        by_type: dict[str, tuple[list[str], list[int]]] = {}
        for number, record in enumerate(records):
            values, ids = by_type.setdefault(record.hash_type, ([], []))
            values.append(record.value)
            ids.append(number)
        indexes: dict[str, SegmentedIndex] = {}
        videos: VideoIndex | None = None
        for hash_type, (values, ids) in by_type.items():
            if _is_video(hash_type):
                videos = VideoIndex()
                videos.add(values, ids)
                continue
            try:
                fast = index_class(hash_type)
            except UnknownHashTypeError:
                fast = None
            if fast is None:
                raise UnknownHashTypeError(
                    f"hash type {hash_type!r} cannot be indexed here",
                    hint=f"Index files hold {', '.join(FAST_INDEXES)}.",
                )
            indexes[hash_type] = fast.from_arrays(fast().encode(values), ids)
        labels: list[Label] = [r.id if r.id is not None else r.line for r in records]
        return cls(indexes, labels, videos)

    def __len__(self) -> int:
        return sum(len(i) for i in self.indexes.values()) + (len(self.videos) if self.videos is not None else 0)

    def counts(self) -> dict[str, int]:
        """Number of hashes per hash type."""
        counts = {t: len(i) for t, i in self.indexes.items()}
        if self.videos is not None:
            counts[VideoIndex.hash_type] = len(self.videos)
        return dict(sorted(counts.items()))

    def match(
        self, hashes: dict[str, str], max_distance: int, *, pdq_variants: Sequence[str] | None = None
    ) -> list[SetMatch]:
        """Every record matching any of ``hashes`` (type -> value); ``pdq_variants`` replaces the pdq query."""
        found: list[SetMatch] = []
        for hash_type, value in hashes.items():
            index: HashIndex | None = self.indexes.get(hash_type)
            if index is None:
                continue
            queries = list(pdq_variants) if hash_type == "pdq" and pdq_variants else [value]
            matches = index.query_any(queries, max_distance)
            values = index.values_of([m.id for m in matches])
            for m, stored in zip(matches, values, strict=True):
                found.append(SetMatch(hash_type, self.labels[m.id], stored or "", m.distance))
        return found

    def query(self, hash_type: str, values: Sequence[str], max_distance: int) -> list[list[SetMatch]]:
        """Matches of each of ``values`` (all of ``hash_type``); for vpdq the distance is 100 - listed %."""
        index: HashIndex | None = self.indexes.get(hash_type)
        if index is None and hash_type == VideoIndex.hash_type:
            index = self.videos
        if index is None:
            return [[] for _ in values]
        out: list[list[SetMatch]] = []
        for matches in index.query_batch(values, max_distance):
            stored = index.values_of([m.id for m in matches])
            out.append(
                [
                    SetMatch(hash_type, self.labels[m.id], s or "", m.distance)
                    for m, s in zip(matches, stored, strict=True)
                ]
            )
        return out

    def save(self, folder: Path) -> None:
        """Write the set to ``folder`` (created if needed)."""
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise FileAccessError(f"cannot create {folder}: {exc.strerror or exc}") from exc
        labels = json.dumps(self.labels).encode()
        files: dict[str, str] = {}
        for hash_type, index in self.indexes.items():
            files[hash_type] = f"{hash_type}.shidx"
            index.save(folder / files[hash_type])
        if self.videos is not None:
            files[VideoIndex.hash_type] = f"{VideoIndex.hash_type}.shvidx"
            self.videos.save(folder / files[VideoIndex.hash_type])
        (folder / "labels.json").write_bytes(labels)
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "files": files,
            "labels_sha256": hashlib.sha256(labels).hexdigest(),
        }
        tmp = folder / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest, indent=1))
        os.replace(tmp, folder / "manifest.json")

    @classmethod
    def load(cls, folder: Path) -> IndexSet:
        """Read a set written by :meth:`save`; damage raises :class:`CorruptDataError`."""
        manifest_path = folder / "manifest.json"
        if not manifest_path.is_file():
            raise FileAccessError(
                f"{folder} is not an index folder (no manifest.json)",
                hint="Build one with `sharedhash index build --hashes FILE --out FOLDER`.",
            )
        try:
            manifest = json.loads(manifest_path.read_text())
            labels_raw = (folder / "labels.json").read_bytes()
        except (OSError, ValueError) as exc:
            raise CorruptDataError(f"{folder} has a damaged manifest or labels file") from exc
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise CorruptDataError(f"{folder} is not a sharedhash index folder")
        if manifest.get("version") != VERSION:
            raise CorruptDataError(f"{folder} is index folder version {manifest.get('version')}, not {VERSION}")
        if hashlib.sha256(labels_raw).hexdigest() != manifest.get("labels_sha256"):
            raise CorruptDataError(f"{folder}/labels.json fails its checksum: the file is damaged")
        labels = json.loads(labels_raw)
        indexes: dict[str, SegmentedIndex] = {}
        videos: VideoIndex | None = None
        for hash_type, name in dict(manifest.get("files", {})).items():
            if _is_video(str(hash_type)):
                videos = VideoIndex.load(folder / str(name))
                if any(int(i) >= len(labels) for i in videos.ids()):
                    raise CorruptDataError(f"{folder}/{name} does not fit the folder's labels")
                continue
            index = load_index(folder / str(name))
            if index.hash_type != hash_type or (len(index) and int(index._main.ids.max()) >= len(labels)):
                raise CorruptDataError(f"{folder}/{name} does not fit the folder's labels")
            indexes[hash_type] = index
        return cls(indexes, labels, videos)


def _is_video(hash_type: str) -> bool:
    """Whether a type's values are videos (indexed by :class:`VideoIndex`), by its declared index kind."""
    from sharedhash.errors import UnknownHashTypeError
    from sharedhash.hashing import IndexKind, get_hash_type

    try:
        return get_hash_type(hash_type).index_kind is IndexKind.VPDQ
    except UnknownHashTypeError:
        return False

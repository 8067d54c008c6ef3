"""Snapshots of entries: the entry as the API, the feed and exports show it (a dict, or its JSON text built
directly for bulk paths)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sharedhash.store.models import Entry, EntryHash
from sharedhash.store.validation import HashValue


@dataclass(slots=True)
class EntryView:
    """An entry as the API shows it (also the feed snapshot, without the feedback counts)."""

    entry: Entry
    hashes: list[EntryHash]
    feedback: dict[str, int] = field(default_factory=dict)

    def snapshot(self) -> dict[str, Any]:
        """The JSON form carried by feed changes and exports."""
        return snapshot(self.entry, self.hashes)


def _hash_dict(h: EntryHash | HashValue) -> dict[str, Any]:
    out: dict[str, Any] = {"hash_type": h.hash_type, "value": h.value}
    if h.quality is not None:
        out["quality"] = h.quality
    return out


def snapshot(entry: Entry, hashes: Iterable[EntryHash | HashValue]) -> dict[str, Any]:
    """The JSON form of an entry with its active hashes, as carried by the feed and exports."""
    return snapshot_of(
        entry.id,
        entry.list_id,
        hashes,
        classification=entry.classification,
        labels=entry.labels,
        external_id=entry.external_id,
        contributor=entry.contributor,
        created_at=entry.created_at,
        updated_at=entry.updated_at,
    )


def snapshot_of(
    entry_id: int,
    list_id: int,
    hashes: Iterable[EntryHash | HashValue],
    *,
    classification: str | None,
    labels: Iterable[str],
    external_id: str | None,
    contributor: str,
    created_at: datetime,
    updated_at: datetime,
) -> dict[str, Any]:
    """:func:`snapshot` from plain values (bulk paths build thousands without ORM objects)."""
    return {
        "id": entry_id,
        "list_id": list_id,
        "hashes": sorted((_hash_dict(h) for h in hashes), key=lambda d: (d["hash_type"], d["value"])),
        "classification": classification,
        "labels": list(labels),
        "external_id": external_id,
        "contributor": contributor,
        "created_at": created_at.isoformat(),
        "updated_at": updated_at.isoformat(),
    }


_encode_str: Any = json.encoder.encode_basestring_ascii


def json_str(value: str | None) -> str:
    """``value`` as a JSON string literal (or ``null``), ASCII-only as :func:`json.dumps` writes it."""
    return "null" if value is None else cast(str, _encode_str(value))


def snapshot_json(
    entry_id: int,
    list_id: int,
    hashes: Iterable[tuple[str, str, int | None]],
    *,
    classification: str | None,
    labels_json: str,
    external_id: str | None,
    contributor: str,
    created_at: str,
    updated_at: str,
) -> str:
    """The JSON text of :func:`sharedhash.store.entries.snapshot_of` (same keys, same order), built without a dict.

    ``hashes`` are ``(type, value, quality)``; ``labels_json`` is the labels list as JSON; times are ISO 8601.
    """
    parts = []
    for hash_type, value, quality in sorted(hashes, key=lambda h: (h[0], h[1])):
        if quality is None:
            parts.append(f'{{"hash_type":{_encode_str(hash_type)},"value":{_encode_str(value)}}}')
        else:
            parts.append(f'{{"hash_type":{_encode_str(hash_type)},"value":{_encode_str(value)},"quality":{quality}}}')
    return (
        f'{{"id":{entry_id},"list_id":{list_id},"hashes":[{",".join(parts)}],'
        f'"classification":{json_str(classification)},"labels":{labels_json},'
        f'"external_id":{json_str(external_id)},"contributor":{_encode_str(contributor)},'
        f'"created_at":"{created_at}","updated_at":"{updated_at}"}}'
    )

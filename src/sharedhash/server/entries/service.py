"""Entries and their hashes: list, add, read, change, remove. Each write runs in one transaction with its audit
record; once it is committed the indexes (and the lookup caches that follow them) are refreshed for the entries it
touched, so the hub's own writes match at once. Queries are in :mod:`sharedhash.store.entries`."""

from __future__ import annotations

from collections.abc import Iterable

from sharedhash.server.state import HubState
from sharedhash.store import audit, validation
from sharedhash.store import entries as store
from sharedhash.store.entries import UNSET
from sharedhash.store.snapshots import EntryView
from sharedhash.store.validation import HashValue
from sharedhash.store.visibility import Caller

__all__ = ["UNSET", "EntryView", "add", "get", "list_page", "remove", "remove_hash", "update"]


def _hashes(state: HubState, hashes: Iterable[tuple[str, str, int | None]]) -> list[HashValue]:
    min_quality = state.settings.pdq_min_quality
    return [validation.validate_hash(t, v, q, min_quality=min_quality) for t, v, q in hashes]


def list_page(state: HubState, caller: Caller, list_id: int, *, after: int, limit: int) -> list[EntryView]:
    """A page of a readable list's active entries, by id."""
    with state.db.reading() as session:
        return store.list_entries(session, caller, list_id, after_id=after, limit=limit)


def add(
    state: HubState,
    caller: Caller,
    list_id: int,
    hashes: Iterable[tuple[str, str, int | None]],
    *,
    classification: str | None,
    labels: list[str],
    external_id: str | None,
) -> tuple[EntryView, bool]:
    """Add an entry of ``(hash type, value, quality)`` hashes; if one of them is already in the list, the existing
    entry. Returns the entry and whether it was created."""
    values = _hashes(state, hashes)
    new = validation.validate_entry(values, classification, labels, external_id)
    with state.db.writing() as session:
        view, created = store.add_entry(session, caller, list_id, new)
        audit.record(
            session,
            caller,
            "entry.add" if created else "entry.add_existing",
            target=f"entry:{view.entry.id}",
            count=len(values),
            detail={"list_id": list_id, "hashes": [f"{h.hash_type}:{audit.hash_prefix(h.value)}" for h in values]},
        )
    state.indexes.refresh_after_write(state.db, [view.entry.id])
    return view, created


def get(state: HubState, caller: Caller, entry_id: int) -> EntryView:
    """An entry in a list the caller may read, with feedback counts."""
    with state.db.reading() as session:
        return store.get_entry(session, caller, entry_id)


def update(
    state: HubState,
    caller: Caller,
    entry_id: int,
    *,
    classification: str | None = UNSET,
    labels: list[str] | None = None,
    external_id: str | None = UNSET,
    add_hashes: Iterable[tuple[str, str, int | None]] = (),
) -> EntryView:
    """Change classification (None clears it), labels or external id, or add hashes (the contributor or the list
    owner); arguments left out stay as they are."""
    extra = _hashes(state, add_hashes)
    with state.db.writing() as session:
        view = store.update_entry(
            session,
            caller,
            entry_id,
            classification=classification,
            labels=labels,
            external_id=external_id,
            add_hashes=extra,
        )
        audit.record(session, caller, "entry.update", target=f"entry:{entry_id}", count=len(extra))
    state.indexes.refresh_after_write(state.db, [entry_id])
    return view


def remove(state: HubState, caller: Caller, entry_id: int) -> None:
    """Tombstone the entry: its hashes stop matching at once, and the feed carries the removal."""
    with state.db.writing() as session:
        store.remove_entry(session, caller, entry_id)
        audit.record(session, caller, "entry.remove", target=f"entry:{entry_id}")
    state.indexes.refresh_after_write(state.db, [entry_id])


def remove_hash(state: HubState, caller: Caller, entry_id: int, hash_type: str, value: str) -> EntryView | None:
    """Tombstone one hash; removing the last hash removes the entry. The entry, or None if it went."""
    target = validation.validate_hash(hash_type, value)
    with state.db.writing() as session:
        view = store.remove_hash(session, caller, entry_id, target)
        audit.record(
            session,
            caller,
            "hash.remove",
            target=f"entry:{entry_id}",
            detail={"hash": f"{hash_type}:{audit.hash_prefix(target.value)}"},
        )
    state.indexes.refresh_after_write(state.db, [entry_id])
    return view

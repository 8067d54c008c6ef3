"""Entries: idempotent adds, validation, updates, tombstones, visibility by construction."""

from __future__ import annotations

import pytest

from sharedhash.errors import InvalidHashError, NotFoundError, PermissionDeniedError, UnknownHashTypeError
from sharedhash.hub_errors import (
    DuplicateExternalIdError,
    DuplicateHashError,
    InvalidClassificationError,
    LowQualityHashError,
    ReadOnlyListError,
)
from sharedhash.store.db import Database
from sharedhash.store.entries import add_entry, get_entry, list_entries, remove_entry, remove_hash, update_entry
from sharedhash.store.lists import ShareSpec, create_list, list_readable, update_list
from sharedhash.store.models import Access, Visibility
from sharedhash.store.validation import validate_entry, validate_hash
from tests.support.store import entry, make_org, md5, pdq


def test_adding_the_same_hash_twice_returns_the_existing_entry(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        lst = create_list(s, owner, "main")
        first, created = add_entry(s, owner, lst.id, entry(("pdq", pdq(1)), ("md5", md5(1))))
    assert created
    with db.writing() as s:
        again, created_again = add_entry(s, owner, lst.id, entry(("md5", md5(1)), classification="B2"))
    assert not created_again
    assert again.entry.id == first.entry.id
    assert again.entry.classification == "A1"
    with db.reading() as s:
        assert len(list_entries(s, owner, lst.id)) == 1


def test_validation_refuses_bad_hashes_and_classifications() -> None:
    with pytest.raises(InvalidHashError):
        validate_hash("pdq", "xyz")
    with pytest.raises(UnknownHashTypeError):
        validate_hash("quuxhash", "00")
    with pytest.raises(LowQualityHashError):
        validate_hash("pdq", pdq(1), quality=49)
    assert validate_hash("pdq", pdq(1).upper(), quality=50).value == pdq(1)
    with pytest.raises(InvalidClassificationError):
        validate_entry([validate_hash("md5", md5(1))], "C3")
    with pytest.raises(DuplicateHashError):
        validate_entry([validate_hash("md5", md5(1)), validate_hash("md5", md5(1).upper())])


def test_external_ids_are_unique_per_list_among_active_entries(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        lst = create_list(s, owner, "main")
        first, _ = add_entry(s, owner, lst.id, entry(("md5", md5(1)), external_id="case-1"))
    with pytest.raises(DuplicateExternalIdError), db.writing() as s:
        add_entry(s, owner, lst.id, entry(("md5", md5(2)), external_id="case-1"))
    with db.writing() as s:
        remove_entry(s, owner, first.entry.id)
        add_entry(s, owner, lst.id, entry(("md5", md5(2)), external_id="case-1"))


def test_update_and_hash_removal_and_tombstone(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        lst = create_list(s, owner, "main")
        view, _ = add_entry(s, owner, lst.id, entry(("pdq", pdq(1)), ("md5", md5(1))))
    entry_id = view.entry.id
    with db.writing() as s:
        updated = update_entry(s, owner, entry_id, classification="B1", labels=["quuxvid", " "], external_id="x-1")
        assert (updated.entry.classification, updated.entry.labels) == ("B1", ["quuxvid"])
        after = remove_hash(s, owner, entry_id, validate_hash("md5", md5(1)))
        assert after is not None
        assert [h.hash_type for h in after.hashes] == ["pdq"]
    with db.writing() as s:
        assert remove_hash(s, owner, entry_id, validate_hash("pdq", pdq(1))) is None
    with pytest.raises(NotFoundError), db.reading() as s:
        get_entry(s, owner, entry_id)
    # The hash is free again: adding it makes a new entry.
    with db.writing() as s:
        again, created = add_entry(s, owner, lst.id, entry(("pdq", pdq(1))))
    assert created
    assert again.entry.id != entry_id


def test_visibility_private_shared_members(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    sharee = make_org(db, "plimmerbolt")
    stranger = make_org(db, "zorblax")
    with db.writing() as s:
        shares = [ShareSpec("plimmerbolt", Access.READ)]
        lst = create_list(s, owner, "main", visibility=Visibility.SHARED, shares=shares)
        view, _ = add_entry(s, owner, lst.id, entry(("md5", md5(1))))
    with db.reading() as s:
        assert [x.id for x in list_readable(s, sharee)] == [lst.id]
        assert list_readable(s, stranger) == []
        assert get_entry(s, sharee, view.entry.id).entry.id == view.entry.id
    with pytest.raises(NotFoundError), db.reading() as s:
        get_entry(s, stranger, view.entry.id)
    with pytest.raises(PermissionDeniedError), db.writing() as s:
        add_entry(s, sharee, lst.id, entry(("md5", md5(2))))
    with pytest.raises(NotFoundError), db.writing() as s:
        add_entry(s, stranger, lst.id, entry(("md5", md5(2))))
    with pytest.raises(NotFoundError), db.writing() as s:
        remove_entry(s, stranger, view.entry.id)
    with db.writing() as s:
        update_list(s, owner, lst.id, shares=[ShareSpec("plimmerbolt", Access.CONTRIBUTE)])
    with db.writing() as s:
        contributed, _ = add_entry(s, sharee, lst.id, entry(("md5", md5(2))))
    assert contributed.entry.contributor == "plimmerbolt"
    # A sharee may change its own entries, not the owner's.
    with pytest.raises(PermissionDeniedError), db.writing() as s:
        remove_entry(s, sharee, view.entry.id)
    with db.writing() as s:
        update_list(s, owner, lst.id, visibility=Visibility.MEMBERS, shares=[])
    with db.reading() as s:
        assert [x.id for x in list_readable(s, stranger)] == [lst.id]
    with pytest.raises(PermissionDeniedError), db.writing() as s:
        update_list(s, stranger, lst.id, name="mine")


def test_mirrored_lists_are_read_only(db: Database) -> None:
    owner = make_org(db, "quuxvid")
    with db.writing() as s:
        lst = create_list(s, owner, "mirror", source_url="http://127.0.0.1:9/", source_list_id=7)
    with pytest.raises(ReadOnlyListError), db.writing() as s:
        add_entry(s, owner, lst.id, entry(("md5", md5(1))))
    with db.writing() as s:
        add_entry(s, owner, lst.id, entry(("md5", md5(1))), sync=True, source_entry_id=3)
